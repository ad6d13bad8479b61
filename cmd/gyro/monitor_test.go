package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/monitor"
	"github.com/gyro-rpc/gyro/proxy"
)

var monitorLine = regexp.MustCompile(`^monitoring on (http://\S+)$`)
var echoURILine = regexp.MustCompile(`^echo uri: (\S+)$`)

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func TestEchoServerHTTP(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	s := startGyro(t, "echoserver", "-H", "127.0.0.1", "--http", "127.0.0.1:0")
	lines := s.until(t, echoURILine)
	uri := echoURILine.FindStringSubmatch(lines[len(lines)-1])[1]
	lines = s.until(t, monitorLine)
	base := monitorLine.FindStringSubmatch(lines[len(lines)-1])
	p, err := proxy.New(uri, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Call(context.Background(), "echo", "hi"); err != nil || v != "hi" {
		t.Fatalf("echo = %v, %v", v, err)
	}
	var v monitor.Varz
	if err := json.Unmarshal([]byte(httpGet(t, base[1]+"/varz")), &v); err != nil {
		t.Fatal(err)
	}
	if v.ServerType != "multiplex" || v.Calls != 1 || v.Connections != 1 {
		t.Errorf("varz %+v", v)
	}
	if m := httpGet(t, base[1]+"/metrics"); !strings.Contains(m, `gyro_server_calls_handled_total{method="echo",object="test.echoserver",outcome="ok"} 1`) {
		t.Errorf("metrics lack the echo call:\n%s", m)
	}
	if h := httpGet(t, base[1]+"/healthz"); h != "ok\n" {
		t.Errorf("healthz %q", h)
	}
}

func TestNSHTTP(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	s := startGyro(t, "ns", "-n", "127.0.0.1", "-p", "0", "--http", "127.0.0.1:0")
	base := monitorLine.FindStringSubmatch(s.next(t))
	if base == nil {
		t.Fatal("the first line does not say where monitoring is")
	}
	s.until(t, nsURILine)
	if m := httpGet(t, base[1]+"/metrics"); !strings.Contains(m, "gyro_nameserver_names 1\n") {
		t.Errorf("metrics lack the name count:\n%s", m)
	}
}
