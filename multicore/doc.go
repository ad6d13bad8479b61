// Package multicore is gyro's "multicore" server type, on gnet: one event
// loop per core reads and frames requests, and calls run on a bounded pool
// of workers, one batch per connection at a time, so replies leave in
// request order and a slow call stalls only its own connection. Workers
// (at most THREADPOOL_SIZE) start on demand and exit after a second idle,
// so a burst of calls leaves no goroutines behind.
//
// It is a plug-in: a program that wants it imports the package for its
// side effect, as with a database/sql driver,
//
//	import _ "github.com/gyro-rpc/gyro/multicore"
//
// and then selects it with SERVERTYPE (config.ServerMulticore, or
// PYRO_SERVERTYPE=multicore). A program that does not import it links no
// gnet. The daemon's own accept loop hands each connection to gnet's
// loops, so the listener stays the daemon's: Shutdown closes it at once,
// and running out of descriptors pauses accepting instead of ending the
// server. gnet's loops are not drivable by a foreign loop, so a multicore
// daemon serves by itself from New until Close and cannot be combined.
package multicore
