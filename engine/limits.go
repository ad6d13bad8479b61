package engine

// commTimeoutRule documents COMMTIMEOUT as every server type applies it
// (Pyro4's types differ: its thread type times every socket read, its
// multiplex type only half-received messages):
//
//   - a request must arrive completely within COMMTIMEOUT of its first
//     byte: later bytes of the same request do not restart the clock, so
//     a client trickling a byte at a time is dropped;
//   - a connection with no request in progress and no reply pending is
//     closed after COMMTIMEOUT of silence;
//   - a reply the client does not take within COMMTIMEOUT closes the
//     connection;
//   - a call itself is not timed: the silence counts from its reply.
//
// COMMTIMEOUT 0 (the default, as in Pyro4) turns all of this off.
const commTimeoutRule = 0
