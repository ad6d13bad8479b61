// Package bench holds gyro's comparison benchmark: a load generator and a
// command (go run ./bench/cmd/compare) that runs the same workloads against
// gyro's three server types, Pyro4's own daemon, Go's net/rpc and raw echo
// servers on gnet, evio and gyro's loop; and, end to end from Go clients,
// gyro's proxy (one per caller, one pipelining proxy, a pool of them)
// against net/rpc and grpc-go (the Go peers section). The comparison itself runs
// outside go test (go test covers only the parts' logic); see RESULTS.md
// for a run.
package bench
