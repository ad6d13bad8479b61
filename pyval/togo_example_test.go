package pyval_test

import (
	"errors"
	"fmt"

	"github.com/gyro-rpc/gyro/pyval"
)

func ExampleToGo() {
	// What a Pyro4 peer sends for {'name': 'disk', 'free_mb': 512, 'tags': ('a', 'b')}.
	v := pyval.DictOf("name", "disk", "free_mb", int64(512), "tags", pyval.Tuple{"a", "b"})

	type Volume struct {
		Name   string
		FreeMB uint16 `pyro:"free_mb"`
		Tags   []string
	}
	var vol Volume
	if err := pyval.ToGo(v, &vol); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%+v\n", vol)

	// 512 does not fit a uint8: an error, never a wrapped number.
	var small struct {
		FreeMB uint8 `pyro:"free_mb"`
	}
	err := pyval.ToGo(v, &small)
	fmt.Println(errors.Is(err, pyval.ErrOverflow), err)
	// Output:
	// {Name:disk FreeMB:512 Tags:[a b]}
	// true pyval: cannot convert int to uint8 at ['free_mb']: 512 does not fit
}
