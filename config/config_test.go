package config

import (
	"testing"
	"time"
)

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		env   map[string]string
		check func(c Config) bool
		err   bool
	}{
		{map[string]string{"PYRO_HOST": "0.0.0.0"}, func(c Config) bool { return c.Host == "0.0.0.0" && c.NSHost == "localhost" }, false},
		{map[string]string{"PYRO_COMMTIMEOUT": "1.5"}, func(c Config) bool { return c.CommTimeout == 1500*time.Millisecond }, false},
		{map[string]string{"PYRO_SERVERTYPE": "multiplex"}, func(c Config) bool { return c.ServerType == "multiplex" }, false},
		{map[string]string{"PYRO_NS_PORT": "39090"}, func(c Config) bool { return c.NSPort == 39090 }, false},
		{map[string]string{"PYRO_ONEWAY_THREADED": "off"}, func(c Config) bool { return !c.OnewayThreaded }, false},
		{map[string]string{"PYRO_COMPRESSION": "YES"}, func(c Config) bool { return c.Compression }, false},
		{map[string]string{"PYRO_SERIALIZERS_ACCEPTED": "serpent, json"}, func(c Config) bool { return c.SerializersAccepted == "serpent, json" }, false},
		{map[string]string{"PYRO_METADATA": "maybe"}, nil, true},
		{map[string]string{"PYRO_NS_PORT": "x"}, nil, true},
	}
	for _, tt := range tests {
		c := Default()
		err := c.LoadEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if (err != nil) != tt.err {
			t.Errorf("%v: err = %v, want error %v", tt.env, err, tt.err)
			continue
		}
		if err == nil && !tt.check(c) {
			t.Errorf("%v: config not applied: %+v", tt.env, c)
		}
	}
}

func TestDefaultsMirrorPyro4(t *testing.T) {
	c := Default()
	want := map[string]string{
		"HOST": "localhost", "NS_PORT": "9090", "NS_BCPORT": "9091", "COMMTIMEOUT": "0",
		"POLLTIMEOUT": "2", "SERVERTYPE": "thread", "THREADPOOL_SIZE": "40", "THREADPOOL_SIZE_MIN": "4",
		"ONEWAY_THREADED": "true", "SERIALIZER": "serpent", "SERIALIZERS_ACCEPTED": "serpent,marshal,json",
		"COMPRESSION": "false", "MAX_MESSAGE_SIZE": "0", "METADATA": "true", "AUTOPROXY": "true",
		"ITER_STREAMING": "true", "ITER_STREAM_LIFETIME": "0", "ITER_STREAM_LINGER": "30",
		"SOCK_REUSE": "true", "SOCK_NODELAY": "false", "PREFER_IP_VERSION": "4", "MAX_RETRIES": "0",
	}
	for _, kv := range c.Items() {
		if w, ok := want[kv[0]]; ok && w != kv[1] {
			t.Errorf("%s = %s, want Pyro4's %s", kv[0], kv[1], w)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSet(t *testing.T) {
	c := Default()
	if err := c.Set("threadpool_size", "1"); err != nil || c.ThreadPoolSize != 1 {
		t.Fatalf("Set: %v %d", err, c.ThreadPoolSize)
	}
	if err := c.Set("NOPE", "1"); err == nil {
		t.Fatal("unknown item accepted")
	}
	if err := c.Validate(); err == nil {
		t.Fatal("THREADPOOL_SIZE 1 < MIN 4 accepted")
	}
}
