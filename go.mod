module github.com/gyro-rpc/gyro

go 1.26.0

require (
	github.com/valyala/bytebufferpool v1.0.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
)

require go.etcd.io/bbolt v1.5.0
