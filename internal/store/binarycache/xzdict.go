package binarycache

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// xzSmallDict returns r with the dictionary size of the first xz block
// lowered to what a NAR of narSize bytes can use. The xz library
// allocates (and zeroes) the dictionary the block header asks for: 8 MiB
// for Nix's preset 6, which cost a third of the CPU of substituting small
// paths. A match can never reach further back than the bytes produced so
// far, so a dictionary of at least narSize bytes decodes the same stream.
// The rewritten header gets a fresh CRC32; the FileHash check has already
// seen the original bytes (it reads below this). Anything unexpected —
// several filters, a short read, an odd header — leaves the stream as it
// is; only the first block is touched (Nix writes one).
func xzSmallDict(r io.Reader, narSize uint64) io.Reader {
	const streamHeader = 12
	buf := make([]byte, streamHeader+1, 64)
	n, err := io.ReadFull(r, buf)
	if err != nil || buf[streamHeader] == 0 {
		return io.MultiReader(bytes.NewReader(buf[:n]), r)
	}
	size := (int(buf[streamHeader]) + 1) * 4
	buf = append(buf, make([]byte, size-1)...)
	n, err = io.ReadFull(r, buf[streamHeader+1:])
	if err != nil {
		return io.MultiReader(bytes.NewReader(buf[:streamHeader+1+n]), r)
	}
	h := buf[streamHeader : streamHeader+size]
	if crc32.ChecksumIEEE(h[:size-4]) == binary.LittleEndian.Uint32(h[size-4:]) {
		if i := lzma2PropsOffset(h[:size-4]); i > 0 {
			if code := dictCode(narSize); code < h[i] && h[i] <= 40 {
				h[i] = code
				binary.LittleEndian.PutUint32(h[size-4:], crc32.ChecksumIEEE(h[:size-4]))
			}
		}
	}
	return io.MultiReader(bytes.NewReader(buf), r)
}

// lzma2PropsOffset finds the LZMA2 dictionary byte in a block header
// (without its CRC): one filter, ID 0x21, one property byte. It returns 0
// when the header is anything else.
func lzma2PropsOffset(h []byte) int {
	if len(h) < 2 || h[1]&0x3c != 0 || h[1]&0x03 != 0 {
		return 0 // reserved bits, or more than one filter
	}
	i := 2
	skipVarint := func() bool {
		for k := 0; k < 9 && i < len(h); k++ {
			b := h[i]
			i++
			if b&0x80 == 0 {
				return true
			}
		}
		return false
	}
	if h[1]&0x40 != 0 && !skipVarint() { // compressed size
		return 0
	}
	if h[1]&0x80 != 0 && !skipVarint() { // uncompressed size
		return 0
	}
	if i+3 > len(h) || h[i] != 0x21 || h[i+1] != 1 {
		return 0
	}
	return i + 2
}

// dictCode is the smallest LZMA2 dictionary code whose size,
// (2|code&1) << (code/2+11), holds size bytes; 4 KiB at least.
func dictCode(size uint64) byte {
	for code := byte(0); code < 40; code++ {
		if uint64(2|code&1)<<(code/2+11) >= size && uint64(2|code&1)<<(code/2+11) >= 4096 {
			return code
		}
	}
	return 40
}
