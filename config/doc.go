// Package config holds Pyro4's configuration items with Pyro4 4.82's
// defaults, and reads the PYRO_* environment variables the way Pyro4 does.
//
// A Config is a plain struct: copy Default(), change fields, hand it to a
// daemon or proxy. The only package-level state is the defaults table, which
// mirrors Pyro4's and is never modified.
package config
