package config_test

import (
	"fmt"
	"log"
	"time"

	"github.com/gyro-rpc/gyro/config"
)

// A program starts from Pyro4's defaults overridden by PYRO_* variables
// (FromEnv), then sets what it decides itself; the result goes into
// engine.Options.Config, naming.NSOptions.Config and proxy.Options.Config.
func Example() {
	cfg := config.Default() // a real program: cfg, err := config.FromEnv()
	cfg.ServerType = config.ServerMultiplex
	cfg.CommTimeout = 5 * time.Second
	if err := cfg.Validate(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.ServerType, cfg.CommTimeout, cfg.NSPort)
	// Output: multiplex 5s 9090
}

// LoadEnv reads PYRO_<ITEM> variables through any lookup function, here a
// map instead of the process environment.
func ExampleConfig_LoadEnv() {
	env := map[string]string{"PYRO_SERVERTYPE": "multiplex", "PYRO_COMMTIMEOUT": "2.5", "PYRO_NATHOST": "nat.example"}
	cfg := config.Default()
	err := cfg.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.ServerType, cfg.CommTimeout, cfg.NATHost)

	// A value of the wrong type is an error that names the variable.
	bad := config.Default()
	fmt.Println(bad.LoadEnv(func(k string) (string, bool) { return "soon", k == "PYRO_COMMTIMEOUT" }))
	// Output:
	// multiplex 2.5s nat.example
	// config: PYRO_COMMTIMEOUT="soon": strconv.ParseFloat: parsing "soon": invalid syntax
}

// Set takes an item by its Pyro4 name, as a config file or command line
// would give it.
func ExampleConfig_Set() {
	cfg := config.Default()
	if err := cfg.Set("NS_PORT", "9999"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.NSPort, cfg.Set("NO_SUCH_ITEM", "1"))
	// Output: 9999 config: unknown item "NO_SUCH_ITEM"
}
