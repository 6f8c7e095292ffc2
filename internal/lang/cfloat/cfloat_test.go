package cfloat

import (
	"math"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	negNaN := math.Float64frombits(0xfff8000000000000)
	tests := []struct {
		f    float64
		g, e string // %g and %f
	}{
		{1, "1", "1.000000"},
		{0.1, "0.1", "0.100000"},
		{123456.7, "123457", "123456.700000"},
		{1234567, "1.23457e+06", "1234567.000000"},
		{1e-5, "1e-05", "0.000010"},
		{0.0001, "0.0001", "0.000100"},
		{100000, "100000", "100000.000000"},
		{1e6, "1e+06", "1000000.000000"},
		{999999.5, "1e+06", "999999.500000"},
		{0, "0", "0.000000"},
		{math.Copysign(0, -1), "-0", "-0.000000"},
		{-2.5, "-2.5", "-2.500000"},
		{1e100, "1e+100", "1" + strings.Repeat("0", 16) + "159028911097599180468360808563945281389781327557747838772170381060813469985856815104.000000"},
		{0.0078125, "0.0078125", "0.007812"}, // a tie: round half to even
		{0.0234375, "0.0234375", "0.023438"},
		{1234565, "1.23456e+06", "1234565.000000"},
		{0.005859375, "0.00585938", "0.005859"},
		{5e-324, "4.94066e-324", "0.000000"},
		{math.MaxFloat64, "1.79769e+308", ""},
		{math.Inf(1), "inf", "inf"},
		{math.Inf(-1), "-inf", "-inf"},
		{math.NaN(), "nan", "nan"},
		{negNaN, "-nan", "-nan"},
	}
	for _, tt := range tests {
		if got := FormatG(tt.f); got != tt.g {
			t.Errorf("FormatG(%v) = %q, want %q", tt.f, got, tt.g)
		}
		if got := string(AppendG([]byte("x"), tt.f)); got != "x"+tt.g {
			t.Errorf("AppendG(x, %v) = %q, want %q", tt.f, got, "x"+tt.g)
		}
		if tt.e == "" {
			continue
		}
		if got := FormatF(tt.f); got != tt.e {
			t.Errorf("FormatF(%v) = %q, want %q", tt.f, got, tt.e)
		}
		if got := string(AppendF([]byte("x"), tt.f)); got != "x"+tt.e {
			t.Errorf("AppendF(x, %v) = %q, want %q", tt.f, got, "x"+tt.e)
		}
	}
}
