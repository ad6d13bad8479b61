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

func TestSSLItems(t *testing.T) {
	c := Default()
	for _, kv := range c.Items() {
		switch kv[0] {
		case "SSL", "SSL_REQUIRECLIENTCERT":
			if kv[1] != "false" {
				t.Errorf("%s = %s, want Pyro4's false", kv[0], kv[1])
			}
		case "SSL_CACERTS", "SSL_SERVERCERT", "SSL_SERVERKEY", "SSL_SERVERKEYPASSWD",
			"SSL_CLIENTCERT", "SSL_CLIENTKEY", "SSL_CLIENTKEYPASSWD":
			if kv[1] != "" {
				t.Errorf("%s = %q, want Pyro4's empty default", kv[0], kv[1])
			}
		}
	}
	env := map[string]string{
		"PYRO_SSL": "1", "PYRO_SSL_REQUIRECLIENTCERT": "yes", "PYRO_SSL_CACERTS": "/ca",
		"PYRO_SSL_SERVERCERT": "/s.crt", "PYRO_SSL_SERVERKEY": "/s.key", "PYRO_SSL_SERVERKEYPASSWD": "sp",
		"PYRO_SSL_CLIENTCERT": "/c.crt", "PYRO_SSL_CLIENTKEY": "/c.key", "PYRO_SSL_CLIENTKEYPASSWD": "cp",
	}
	if err := c.LoadEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	want := Config{
		SSL: true, SSLRequireClientCert: true, SSLCACerts: "/ca",
		SSLServerCert: "/s.crt", SSLServerKey: "/s.key", SSLServerKeyPasswd: "sp",
		SSLClientCert: "/c.crt", SSLClientKey: "/c.key", SSLClientKeyPasswd: "cp",
	}
	got := Config{
		SSL: c.SSL, SSLRequireClientCert: c.SSLRequireClientCert, SSLCACerts: c.SSLCACerts,
		SSLServerCert: c.SSLServerCert, SSLServerKey: c.SSLServerKey, SSLServerKeyPasswd: c.SSLServerKeyPasswd,
		SSLClientCert: c.SSLClientCert, SSLClientKey: c.SSLClientKey, SSLClientKeyPasswd: c.SSLClientKeyPasswd,
	}
	if got != want {
		t.Fatalf("PYRO_SSL* not applied:\n got %+v\nwant %+v", got, want)
	}
	if err := c.Set("ssl", "maybe"); err == nil {
		t.Fatal("PYRO_SSL=maybe accepted")
	}
}

// A dump (gyro check-config, a bug report) must not carry key passwords.
func TestItemsRedactPasswords(t *testing.T) {
	c := Default()
	c.SSLServerKeyPasswd, c.SSLClientKeyPasswd = "hunter2", "hunter3"
	for _, kv := range c.Items() {
		if kv[1] == "hunter2" || kv[1] == "hunter3" {
			t.Errorf("%s dumped in clear", kv[0])
		}
		if (kv[0] == "SSL_SERVERKEYPASSWD" || kv[0] == "SSL_CLIENTKEYPASSWD") && kv[1] != redacted {
			t.Errorf("%s = %q, want %q", kv[0], kv[1], redacted)
		}
	}
}
