package otlpjson

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// put8 writes x (below 10⁸) as eight digits, leading zeros included, all
// eight at once in the lanes of a uint64: halves of four digits in 32-bit
// lanes, pairs in 16-bit lanes, digits in bytes, each split dividing by
// multiplying (exact for these ranges). strconv's chain of divisions by
// 100 takes longer for the 19 digits of every timestamp.
func put8(b *[8]byte, x uint32) {
	y := uint64(x/10000) | uint64(x%10000)<<32
	z := (y * 10486 >> 20) & 0x0000007f_0000007f // y/100 in each 32-bit lane
	y = z | (y-z*100)<<16
	t := (y * 103 >> 10) & 0x000f000f_000f000f // y/10 in each 16-bit lane
	y = t | (y-t*10)<<8
	binary.LittleEndian.PutUint64(b[:], y+0x30303030_30303030)
}

// appendUint writes u in decimal, as strconv.AppendUint(dst, u, 10) does.
func appendUint(dst []byte, u uint64) []byte {
	if u < 1e8 {
		return strconv.AppendUint(dst, u, 10)
	}
	// The last eight digits, eight more if u has over sixteen, and
	// what is left ahead of them (not zero: u was at least 10⁸).
	var buf [16]byte
	n := 8
	put8((*[8]byte)(buf[8:]), uint32(u%1e8))
	u /= 1e8
	if u >= 1e8 {
		put8((*[8]byte)(buf[:8]), uint32(u%1e8))
		u /= 1e8
		n = 16
		// What is left is under 1845 (2⁶⁴ has 20 digits): a timestamp's
		// first three.
		dst = appendUpTo4(dst, uint32(u))
	} else {
		dst = strconv.AppendUint(dst, u, 10)
	}
	return append(dst, buf[16-n:]...)
}

// appendUpTo4 writes u (below 10⁴) in decimal without strconv's call and
// loop.
func appendUpTo4(dst []byte, u uint32) []byte {
	switch {
	case u < 10:
		return append(dst, byte('0'+u))
	case u < 100:
		return append(dst, byte('0'+u/10), byte('0'+u%10))
	case u < 1000:
		return append(dst, byte('0'+u/100), byte('0'+u/10%10), byte('0'+u%10))
	}
	return append(dst, byte('0'+u/1000), byte('0'+u/100%10), byte('0'+u/10%10), byte('0'+u%10))
}

// appendInt writes i in decimal, as strconv.AppendInt(dst, i, 10) does.
func appendInt(dst []byte, i int64) []byte {
	if i < 0 {
		return appendUint(append(dst, '-'), uint64(-i)) // -MinInt64 is MinInt64, which as a uint64 is right
	}
	return appendUint(dst, uint64(i))
}

// timeDigits writes timestamps (Unix nanoseconds, 19 digits) keeping the
// digits above the last eight from the one before: a request's times are
// mostly within 0.1 s of each other, so those digits are the same from
// one to the next, and copying them spares converting them (a division
// by 10⁸, eight digits at once and the three left).
type timeDigits struct {
	high uint64   // the timestamp divided by 10⁸, of the digits in buf (0: none yet)
	n    int      // how many digits buf holds
	buf  [16]byte // high's digits; it is below 2⁶⁴/10⁸, which has 12
}

// append writes u in decimal, as appendUint does.
func (t *timeDigits) append(dst []byte, u uint64) []byte {
	if u < 1e8 {
		return strconv.AppendUint(dst, u, 10)
	}
	high := u / 1e8
	if high != t.high { // never 0 here: u is at least 10⁸
		t.high, t.n = high, len(appendUint(t.buf[:0], high))
	}
	low := uint32(u - high*1e8)
	n := len(dst)
	if cap(dst)-n < len(t.buf)+8 {
		dst = slices.Grow(dst, len(t.buf)+8)
	}
	// The whole array, then the last eight digits over what follows
	// high's: fixed-size copies, without a call to memmove.
	out := dst[:n+len(t.buf)+8]
	*(*[16]byte)(out[n:]) = t.buf
	put8((*[8]byte)(out[n+t.n:]), low)
	return out[:n+t.n+8]
}
