package capture

// bufPool recycles reassembly buffers so that steady-state reassembly does
// not allocate. It is deliberately simple: a bounded stack searched from the
// top, with capacities rounded up to powers of two so buffers are
// interchangeable.
type bufPool struct {
	free  [][]byte
	bytes int // total capacity held in free
}

const (
	poolMaxBuffers = 256
	poolMaxBytes   = 32 << 20
	poolMinCap     = 512
)

// get returns an empty buffer with capacity of at least n.
func (p *bufPool) get(n int) []byte {
	for i := len(p.free) - 1; i >= 0; i-- {
		if b := p.free[i]; cap(b) >= n {
			last := len(p.free) - 1
			p.free[i] = p.free[last]
			p.free[last] = nil
			p.free = p.free[:last]
			p.bytes -= cap(b)
			return b[:0]
		}
	}
	c := poolMinCap
	for c < n {
		c <<= 1
	}
	return make([]byte, 0, c)
}

// put returns b to the pool. b must no longer be referenced.
func (p *bufPool) put(b []byte) {
	c := cap(b)
	if c == 0 || len(p.free) >= poolMaxBuffers || p.bytes+c > poolMaxBytes {
		return
	}
	p.free = append(p.free, b[:0])
	p.bytes += c
}

// grow returns a buffer with the contents of b and capacity for at least
// need bytes, recycling b if it had to be replaced. The length is unchanged.
func (p *bufPool) grow(b []byte, need int) []byte {
	if cap(b) >= need {
		return b
	}
	if n := 2 * cap(b); n > need {
		need = n
	}
	nb := p.get(need)[:len(b)]
	copy(nb, b)
	p.put(b)
	return nb
}
