package config

// The server types SERVERTYPE names. Thread and multiplex are Pyro4's and
// built into package engine; multicore is gyro's own, on gnet, and linked
// only by programs that import package multicore. Other packages may
// register more (engine.RegisterServerType).
const (
	ServerThread    = "thread"
	ServerMultiplex = "multiplex"
	ServerMulticore = "multicore"
)
