package transport

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// Message is one signaling message as carried by the transport.
type Message struct {
	Data   []byte
	Stream uint16 // SCTP stream; 0 on TCP
	PPID   uint32 // SCTP payload protocol identifier; 0 on TCP
}

// Framer tells a byte-stream transport where messages end. Length is given
// the first HeaderLen bytes of a message and returns its whole length, or
// an error when the bytes cannot start a message (the stream is then
// unusable and the connection must be closed).
type Framer struct {
	HeaderLen int
	Length    func(header []byte) (int, error)
}

// Options configure connections.
type Options struct {
	// Framer cuts TCP streams into messages (required for TCP).
	Framer Framer
	// MaxMessage is the largest message accepted. A bigger message is
	// read to its end and discarded; ReadMessage then returns its first
	// bytes with ErrTooLarge, and the connection stays usable.
	MaxMessage int
	// Streams is the number of SCTP streams requested in each direction
	// (default 16).
	Streams uint16
	// Local binds an outgoing connection to these addresses (multi-homed
	// SCTP, or a source address for TCP); nil lets the kernel choose.
	Local []netip.Addr
	// ConnectTimeout bounds Dial (default 5s).
	ConnectTimeout time.Duration
	// MessageTimeout, when set, bounds how long the peer may take to
	// deliver a message: the first one within MessageTimeout of the first
	// ReadMessage (a peer that connects and then sends nothing, or not a
	// whole message, is cut off: a half-open connection), each later one
	// within MessageTimeout of its first byte (a peer dribbling a message
	// a byte at a time is too: slowloris). How long the peer stays quiet
	// between messages is not bounded. ReadMessage then fails with
	// ErrReadTimeout, and the connection must be closed. The connection
	// owns its read deadline: do not call SetReadDeadline.
	MessageTimeout time.Duration
}

func (o *Options) defaults() {
	if o.MaxMessage <= 0 {
		o.MaxMessage = 1 << 16
	}
	if o.Streams == 0 {
		o.Streams = 16
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
}

// Conn is a message-oriented connection (a TCP connection or an SCTP
// association). One goroutine may read while others write; WriteMessage
// is safe for concurrent use and sends each message whole.
type Conn interface {
	// ReadMessage reads the next message into buf, which must have a
	// capacity of at least Options.MaxMessage; the returned Data aliases it.
	ReadMessage(buf []byte) (Message, error)
	// WriteMessage sends one message; Stream and PPID are used on SCTP.
	WriteMessage(m Message) error
	// SetReadDeadline and SetWriteDeadline bound blocking calls.
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	// Close ends the connection gracefully (TCP FIN, SCTP SHUTDOWN).
	Close() error
	// Abort ends it at once (TCP RST, SCTP ABORT).
	Abort() error
	Kind() Kind
	// LocalAddr and RemoteAddr are the primary addresses.
	LocalAddr() netip.AddrPort
	RemoteAddr() netip.AddrPort
	// RemoteAddrs lists every address of the peer (several for a
	// multi-homed SCTP association).
	RemoteAddrs() []netip.AddrPort
	// Streams returns the negotiated SCTP stream counts (1, 1 on TCP).
	Streams() (in, out uint16)
}

// Listener accepts connections.
type Listener interface {
	Accept() (Conn, error)
	Close() error
	Addr() Address
}

// Errors.
var (
	// ErrTooLarge: the message exceeded Options.MaxMessage; the data
	// returned holds its first bytes.
	ErrTooLarge = errors.New("transport: message larger than the configured maximum")
	// ErrFraming: the byte stream cannot be cut into messages any more.
	ErrFraming = errors.New("transport: stream framing lost")
	// ErrReadTimeout: a message did not arrive whole within
	// Options.MessageTimeout.
	ErrReadTimeout = errors.New("transport: message not received within the message timeout")
	// ErrUnsupported: the kernel has no SCTP.
	ErrUnsupported = errors.New("transport: SCTP is not supported by this kernel (modprobe sctp)")
)

// Listen opens a listener on a.
func Listen(a Address, o Options) (Listener, error) {
	o.defaults()
	switch a.Kind {
	case TCP:
		return listenTCP(a, o)
	case SCTP:
		return listenSCTP(a, o)
	}
	return nil, errors.New("transport: unknown kind")
}

// Dial connects to a.
func Dial(ctx context.Context, a Address, o Options) (Conn, error) {
	o.defaults()
	switch a.Kind {
	case TCP:
		return dialTCP(ctx, a, o)
	case SCTP:
		return dialSCTP(ctx, a, o)
	}
	return nil, errors.New("transport: unknown kind")
}
