package cfloat

import (
	"math"
	"strconv"
)

// FormatG formats f as C++ `std::ostream << double` does with the default
// precision, i.e. printf "%g" with precision 6: at most six significant
// digits, trailing zeros dropped, exponent form ("1.23457e+06", "1e-05")
// when the decimal exponent is below -4 or at least 6. Nix 2.8 prints
// floats this way (`1.0` prints as `1`). Infinities print as "inf" and
// "-inf"; NaN as "nan", or "-nan" when its sign bit is set, as glibc does.
func FormatG(f float64) string {
	var buf [32]byte
	return string(AppendG(buf[:0], f))
}

// AppendG appends FormatG(f) to dst.
func AppendG(dst []byte, f float64) []byte {
	if s, ok := special(f); ok {
		return append(dst, s...)
	}
	// strconv's 'g' with an explicit precision follows C's rule for choosing
	// between fixed and exponent form, drops trailing zeros, and writes at
	// least two exponent digits, exactly like %g.
	return strconv.AppendFloat(dst, f, 'g', 6, 64)
}

// FormatF formats f as printf "%f" does (six digits after the point),
// which is what Nix 2.8's toString gives for a float (`toString 1.0` is
// "1.000000"). Large values print all their integer digits exactly, as
// glibc does (1e300 prints as the 301-digit exact value of the double).
// Infinities print as "inf" and "-inf"; NaN as "nan" or "-nan".
func FormatF(f float64) string {
	var buf [32]byte
	return string(AppendF(buf[:0], f))
}

// AppendF appends FormatF(f) to dst.
func AppendF(dst []byte, f float64) []byte {
	if s, ok := special(f); ok {
		return append(dst, s...)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

func special(f float64) (string, bool) {
	switch {
	case math.IsInf(f, 1):
		return "inf", true
	case math.IsInf(f, -1):
		return "-inf", true
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan", true
		}
		return "nan", true
	}
	return "", false
}
