package ingest

import (
	"fmt"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// rawCodec is the gRPC codec of spantop's receivers, installed with
// grpc.ForceServerCodecV2 on spantop's own server only (a global codec would
// also change the in-process demo exporter). Requests are not unmarshalled:
// the handler gets the wire bytes in a rawMsg and decodes them itself.
// Responses are generated OTLP messages, marshalled with proto.
type rawCodec struct{}

// rawMsg receives a request's bytes. The buffer holds a reference that the
// handler must release with free once it has decoded what it needs.
type rawMsg struct {
	buf mem.Buffer
}

// bytes returns the request's wire bytes, valid until free.
func (m *rawMsg) bytes() []byte {
	if m.buf == nil {
		return nil
	}
	return m.buf.ReadOnlyData()
}

func (m *rawMsg) free() {
	if m.buf != nil {
		m.buf.Free()
		m.buf = nil
	}
}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case proto.Message:
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	case []byte:
		return mem.BufferSlice{mem.SliceBuffer(m)}, nil
	}
	return nil, fmt.Errorf("ingest codec: cannot marshal %T", v)
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *rawMsg:
		// One buffer (the usual case) is shared, not copied: taking a
		// reference keeps it alive past this call.
		m.buf = data.MaterializeToBuffer(mem.DefaultBufferPool())
		return nil
	case proto.Message:
		return proto.Unmarshal(data.Materialize(), m)
	}
	return fmt.Errorf("ingest codec: cannot unmarshal into %T", v)
}
