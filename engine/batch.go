package engine

import (
	"context"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// A "<batch>" INVOKE in the usual shape is decoded straight into the
// session's reusable calls (serial.BatchUnmarshaler) and run by
// dispatch.InvokeBatch, whose results are collected in a reusable slice:
// no value graph of the entries is built and converted. Any other batch
// (oneway, KEEPSERIALIZED, an unusual shape, a payload in error) takes
// the generic path of every call, which gives Pyro4's exact exceptions.

// decodeBatch decodes data into s.batch, reporting whether codec could.
func (s *Session) decodeBatch(codec serial.Codec, data []byte) bool {
	bu, ok := codec.(serial.BatchUnmarshaler)
	return ok && bu.UnmarshalBatch(data, &s.batch)
}

// invokeBatch runs the batch in s.batch and answers it, as invoke does a
// call.
func (s *Session) invokeBatch(ctx context.Context, m *wire.Message, codec serial.Codec, corr *[16]byte) (closeAfter bool) {
	defer func() {
		s.batch.Reset()
		clear(s.results)
		s.results = s.results[:0]
		if cap(s.results) > 4096 {
			s.results = nil
		}
	}()
	cc := s.callContext(m, corr)
	if s.c.obs != nil {
		s.beginCall(m, cc, s.batch.Object, serial.MethodBatch)
	}
	result, err := s.runBatch(ctx)
	if err != nil {
		return s.batchFailed(m.Seq, codec, err)
	}
	data, err := codec.Marshal(s.data[:0], result, s.replacer())
	if err != nil {
		return s.batchFailed(m.Seq, codec, err)
	}
	s.data = data
	s.replyRaw(wire.MsgResult, wire.FlagBatch, m.Seq, m.SerializerID, data, corr, s.responseAnnotations(cc))
	return false
}

// batchFailed answers a batch that failed whole, or whose results could
// not be encoded, with the exception.
func (s *Session) batchFailed(seq uint16, codec serial.Codec, err error) (closeAfter bool) {
	s.callErr = err
	exc := dispatch.ToException(err)
	s.replyException(seq, codec, exc)
	return exc.Is(pyval.ErrCommunication)
}

// runBatch runs s.batch, through the interceptors' Call when there are
// any: they see the batch as one call, which returns the list of results,
// a list of its own, as an interceptor may keep it or call next twice.
func (s *Session) runBatch(ctx context.Context) (any, error) {
	if o := s.c.obs; o != nil && o.call != nil {
		return o.call(ctx, &s.callInfo, func(ctx context.Context) (any, error) {
			res, err := s.c.reg.InvokeBatch(ctx, &s.cc, &s.batch, nil)
			if err != nil {
				return nil, err
			}
			return res, nil
		})
	}
	res, err := s.c.reg.InvokeBatch(ctx, &s.cc, &s.batch, s.results[:0])
	s.results = res
	return res, err
}
