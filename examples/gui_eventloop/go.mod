module github.com/gyro-rpc/gyro/examples/gui_eventloop

go 1.26.0

replace github.com/gyro-rpc/gyro => ../..

require (
	gioui.org v0.10.3
	github.com/gyro-rpc/gyro v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.50.0
)

require (
	gioui.org/shader v1.0.9 // indirect
	github.com/go-text/typesetting v0.3.5 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	github.com/nlpodyssey/gopickle v0.2.0 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/tinylib/msgp v1.6.5 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	golang.org/x/exp/shiny v0.0.0-20250408133849-7e4ce0ab07d0 // indirect
	golang.org/x/image v0.48.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
