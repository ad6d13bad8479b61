package serial

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// pickleScan walks the opcodes of a pickle before gopickle runs it and
// checks that every length an opcode announces fits in what is left:
// gopickle allocates a buffer of the announced size before reading it, so a
// 20-byte payload announcing an 8-byte FRAME or BINBYTES8 length would
// otherwise allocate gigabytes. It also rejects unknown opcodes and a
// missing STOP up front. Argument layouts are those of Python's
// pickletools.
func pickleScan(data []byte) error { return pickleWalk(data, nil) }

// pickleWalk is pickleScan's walk; visit, when not nil, sees each opcode
// that passed the checks, with its offset and the end of its argument.
func pickleWalk(data []byte, visit func(op byte, at, end int)) error {
	i := 0
	need := func(n uint64) error {
		if n > uint64(len(data)-i) {
			return pickleError(fmt.Sprintf("opcode at offset %d announces %d bytes, only %d left", i-1, n, len(data)-i))
		}
		i += int(n)
		return nil
	}
	line := func() error {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return pickleError(fmt.Sprintf("unterminated line argument at offset %d", i))
		}
		i += j + 1
		return nil
	}
	counted := func(size int) error {
		if err := need(uint64(size)); err != nil {
			return err
		}
		b := data[i-size : i]
		var n uint64
		switch size {
		case 1:
			n = uint64(b[0])
		case 4:
			n = uint64(binary.LittleEndian.Uint32(b))
		case 8:
			n = binary.LittleEndian.Uint64(b)
		}
		return need(n)
	}
	for i < len(data) {
		at, op := i, data[i]
		i++
		var err error
		switch op {
		case '.': // STOP
			if visit != nil {
				visit(op, at, i)
			}
			return nil
		case '(', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 'o', 's', 't', ')', 'u',
			0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98, 'Q':
		case 'F', 'I', 'L', 'S', 'V', 'g', 'p', 'P':
			err = line()
		case 'c', 'i':
			if err = line(); err == nil {
				err = line()
			}
		case 'K', 'h', 'q', 0x80, 0x82:
			err = need(1)
		case 'M', 0x83:
			err = need(2)
		case 'J', 'j', 'r', 0x84:
			err = need(4)
		case 'G':
			err = need(8)
		case 0x95: // FRAME: the length covers the opcodes that follow
			if err = need(8); err == nil {
				if n := binary.LittleEndian.Uint64(data[i-8 : i]); n > uint64(len(data)-i) {
					err = pickleError(fmt.Sprintf("frame at offset %d announces %d bytes, only %d left", i-9, n, len(data)-i))
				}
			}
		case 'U', 'C', 0x8c, 0x8a:
			err = counted(1)
		case 'T', 'X', 'B', 0x8b:
			err = counted(4)
		case 0x8d, 0x8e, 0x96:
			err = counted(8)
		default:
			err = pickleError(fmt.Sprintf("invalid load key, '\\x%02x' at offset %d", op, i-1))
		}
		if err != nil {
			return err
		}
		if visit != nil {
			visit(op, at, i)
		}
	}
	return pickleError("pickle data was truncated")
}
