package monitor

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Varz is the /varz document: the process and its totals.
type Varz struct {
	Version          string       `json:"version"`
	GoVersion        string       `json:"go_version"`
	Start            time.Time    `json:"start"`
	Now              time.Time    `json:"now"`
	Uptime           string       `json:"uptime"`
	UptimeSeconds    float64      `json:"uptime_seconds"`
	ServerType       string       `json:"server_type,omitempty"`
	Daemons          []DaemonVarz `json:"daemons"`
	Connections      int          `json:"connections"`
	TotalConnections uint64       `json:"total_connections"`
	Calls            uint64       `json:"calls"`
	CallErrors       uint64       `json:"call_errors"`
	CallsInFlight    int64        `json:"calls_in_flight"`
	InBytes          uint64       `json:"in_bytes"`
	OutBytes         uint64       `json:"out_bytes"`
	RejectedFrames   uint64       `json:"rejected_frames"`
	FailedHandshakes uint64       `json:"failed_handshakes"`
}

// DaemonVarz describes one daemon added with AddDaemon.
type DaemonVarz struct {
	Location   string `json:"location"`
	ServerType string `json:"server_type"`
	Objects    int    `json:"objects"`
	ShutDown   bool   `json:"shut_down"`
}

// Connz is the /connz document: one entry per open connection, oldest
// first, paged with ?offset= and ?limit= (default DefaultConnzLimit).
type Connz struct {
	Now         time.Time  `json:"now"`
	Total       int        `json:"total"`
	Offset      int        `json:"offset"`
	Limit       int        `json:"limit"`
	Connections []ConnInfo `json:"connections"`
}

// ConnInfo is one connection in /connz.
type ConnInfo struct {
	ID            uint64    `json:"id"`
	Peer          string    `json:"peer"`
	Opened        time.Time `json:"opened"`
	Protocol      int       `json:"protocol,omitempty"`
	Serializer    string    `json:"serializer,omitempty"`
	TLSSubject    string    `json:"tls_subject,omitempty"`
	Idle          string    `json:"idle"`
	IdleSeconds   float64   `json:"idle_seconds"`
	Calls         uint64    `json:"calls"`
	CallsInFlight int32     `json:"calls_in_flight"`
	InBytes       uint64    `json:"in_bytes"`
	OutBytes      uint64    `json:"out_bytes"`
}

// DefaultConnzLimit is how many connections /connz lists without ?limit=.
const DefaultConnzLimit = 1024

// Snapshot returns what /varz serves.
func (m *Monitor) Snapshot() Varz {
	now := time.Now()
	v := Varz{
		Version: m.opts.Version, GoVersion: goVersion, Start: m.start, Now: now,
		Uptime: now.Sub(m.start).Round(time.Second).String(), UptimeSeconds: now.Sub(m.start).Seconds(),
		ServerType: m.opts.ServerType, Daemons: []DaemonVarz{},
		TotalConnections: m.totalConns.Load(), Calls: m.calls.Load(), CallErrors: m.callErrors.Load(),
		CallsInFlight: m.inFlight.Load(), InBytes: m.inBytes.Load(), OutBytes: m.outBytes.Load(),
		RejectedFrames: m.rejected.Load(), FailedHandshakes: m.handshakeBad.Load(),
	}
	m.conns.Range(func(_, _ any) bool { v.Connections++; return true })
	m.mu.Lock()
	daemons := slices.Clone(m.daemons)
	m.mu.Unlock()
	for _, d := range daemons {
		dv := DaemonVarz{Location: d.LocationStr(), ServerType: d.ServerType(), Objects: len(d.Registry().Registered())}
		select {
		case <-d.Done():
			dv.ShutDown = true
		default:
		}
		v.Daemons = append(v.Daemons, dv)
		if v.ServerType == "" {
			v.ServerType = dv.ServerType
		}
	}
	return v
}

// Connections returns what /connz serves, unpaged.
func (m *Monitor) Connections() []ConnInfo {
	now := time.Now()
	var out []ConnInfo
	m.conns.Range(func(_, v any) bool {
		cs := v.(*connState)
		idle := now.Sub(time.Unix(0, cs.lastActive.Load()))
		ci := ConnInfo{
			ID: cs.info.ID, Peer: addrString(cs.info.Peer), Opened: cs.info.Opened,
			Protocol: int(cs.protocol.Load()), Serializer: serializerName(cs.serializer.Load()),
			Idle: idle.Round(time.Millisecond).String(), IdleSeconds: idle.Seconds(),
			Calls: cs.calls.Load(), CallsInFlight: cs.inFlight.Load(),
			InBytes: cs.inBytes.Load(), OutBytes: cs.outBytes.Load(),
		}
		if s := cs.tlsSubject.Load(); s != nil {
			ci.TLSSubject = *s
		}
		out = append(out, ci)
		return true
	})
	slices.SortFunc(out, func(a, b ConnInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (m *Monitor) healthz(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	daemons := slices.Clone(m.daemons)
	m.mu.Unlock()
	for _, d := range daemons {
		select {
		case <-d.Done():
			http.Error(w, "daemon "+d.LocationStr()+" is shut down", http.StatusServiceUnavailable)
			return
		default:
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (m *Monitor) varz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, m.Snapshot())
}

func (m *Monitor) connz(w http.ResponseWriter, r *http.Request) {
	offset, err1 := intParam(r, "offset", 0)
	limit, err2 := intParam(r, "limit", DefaultConnzLimit)
	if err1 != nil || err2 != nil || offset < 0 || limit < 0 {
		http.Error(w, "offset and limit must be non-negative integers", http.StatusBadRequest)
		return
	}
	all := m.Connections()
	c := Connz{Now: time.Now(), Total: len(all), Offset: offset, Limit: limit, Connections: []ConnInfo{}}
	if offset < len(all) {
		c.Connections = all[offset:min(len(all), offset+limit)]
	}
	writeJSON(w, c)
}

func intParam(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
