// Package main is the gyro command. It runs gyro's servers and tools from the command line, with
// the options of their Pyro4 counterparts:
//
//	gyro echoserver [-H host] [-p port] [-u unixsocket] [-n] [-N] [-v] [-q] [-k key]
//
// echoserver serves the test object "test.echoserver" exactly as Pyro4's
// pyro4-test-echoserver does. Configuration comes from Pyro4's PYRO_*
// environment variables; PYRO_HMAC_KEY sets the HMAC key.
package main
