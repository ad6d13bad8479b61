module github.com/gyro-rpc/gyro

go 1.26.0

require (
	github.com/valyala/bytebufferpool v1.0.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
)

require (
	github.com/nlpodyssey/gopickle v0.2.0
	github.com/panjf2000/gnet/v2 v2.10.0
	github.com/tinylib/msgp v1.6.5
	go.etcd.io/bbolt v1.5.0
)

require (
	github.com/panjf2000/ants/v2 v2.12.1 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)
