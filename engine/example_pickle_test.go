package engine_test

import (
	"fmt"
	"log"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
)

// Example_allowPickle is README.md's pickle snippet: naming pickle in
// SERIALIZERS_ACCEPTED is not enough, the program opts in as well.
func Example_allowPickle() {
	// README begin
	cfg := config.Default()
	cfg.SerializersAccepted = "serpent,pickle"
	d, err := engine.New(engine.Options{Config: &cfg, AllowPickle: true})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	// README end

	// without the opt-in, the same config is refused
	_, err = engine.New(engine.Options{Config: &cfg}) // no AllowPickle
	fmt.Println(err != nil)
	// Output: true
}
