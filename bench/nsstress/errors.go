package main

import "github.com/gyro-rpc/gyro/pyval"

var errNaming = pyval.ErrNaming
