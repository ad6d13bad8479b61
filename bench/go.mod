module github.com/gyro-rpc/gyro/bench

go 1.26.0

replace github.com/gyro-rpc/gyro => ../

require (
	github.com/gyro-rpc/gyro v0.0.0-00010101000000-000000000000
	github.com/panjf2000/gnet/v2 v2.10.0
	github.com/tidwall/evio v1.0.8
	golang.org/x/image v0.48.0
)

require (
	github.com/kavu/go_reuseport v1.5.0 // indirect
	github.com/nlpodyssey/gopickle v0.2.0 // indirect
	github.com/panjf2000/ants/v2 v2.12.1 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/tinylib/msgp v1.6.5 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)
