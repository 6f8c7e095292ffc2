package tomlparse

// goldenInputs are the documents whose Nix 2.8 results make up testdata/golden.json.
var goldenInputs = []string{
	// basics
	``, "\n\n", `# only a comment`, `a = 1`, `a = "x"`, `a = true`, `b = false`, `a = 1.5`,
	"a = 1\r\nb = 2\r\n", "a = 1 # trailing comment", `"" = 1`, `"a b" = 1`, `'lit' = 2`,
	`1234 = "k"`, `bare-key_1 = 3`, `site."google.com" = true`, `a.b.c = 1` + "\na.d = 2",

	// integers
	`a = +99`, `a = -17`, `a = 0`, `a = +0`, `a = -0`, `a = 1_000`, `a = 5_349_221`,
	`a = 0xDEADBEEF`, `a = 0xdead_beef`, `a = 0o755`, `a = 0b11010110`,
	`a = 9223372036854775807`, `a = -9223372036854775808`,
	`a = 9223372036854775808`, `a = -9223372036854775809`, `a = 99999999999999999999999`,
	`a = 0xFFFFFFFFFFFFFFFF`, `a = 0x8000000000000000`, `a = 0o7777777777777777777777`,
	`a = [1, 99999999999999999999, -99999999999999999999, 2]`,
	`a = 01`, `a = 1__0`, `a = _1`, `a = -0x1`, `a = 0x`, `a = 0X1F`,

	// floats
	`a = 1.0`, `a = -1.0`, `a = 3.1415`, `a = -0.01`, `a = 5e+22`, `a = 1e06`, `a = -2E-2`,
	`a = 6.626e-34`, `a = 224_617.445_991_228`, `a = -0.0`, `a = +0.0`, `a = 1e5`,
	`a = inf`, `a = +inf`, `a = -inf`, `a = nan`, `a = +nan`, `a = -nan`,
	`a = 1e400`, `a = -1e400`, `a = 1.0e-400`, `a = 5e-324`, `a = 1.7976931348623157e308`,
	`a = 1.`, `a = .5`, `a = 1.e5`, `a = 1e`, `a = 01.5`, `a = Inf`, `a = NaN`,

	// strings
	`a = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF."`,
	`a = "\b\t\n\f\r\"\\"`, `a = "\U0001F600"`, `a = "\uD800"`, `a = "\e"`, `a = "\x41"`,
	`a = "\q"`, `a = "x\u0000y"`, "a = \"\"\"\nabc\"\"\"", "a = \"\"\"\nab \\\n   cd\"\"\"",
	"a = '''\nraw\\n'''", `a = 'C:\Users\nodejs'`, "a = \"\"\"x\"\"\"\"\"", "a = '''''x'''''",
	"a = \"x\ty\"", "a = \"x\x01y\"", "a = \"x\x7fy\"", "a = \"\xff\"", "a = 'é'",
	"# c\x01\na = 1", `a = "unterminated`, "a = \"two\nlines\"",

	// arrays
	`a = []`, `a = [ ]`, `a = [1, 2, 3]`, `a = [1, "x"]`, `a = [1, 2.0]`, `a = [1,2,]`,
	`a = [[1], [2.5]]`, `a = [{x = 1}, {y = 2}]`, "a = [\n  1,\n  2, # c\n]", `a = [,]`,

	// tables
	"[a]\nx = 1\n[b]\ny = 2", "[a.b]\nx = 1\n[a]\ny = 2", "[a]\n[a]", "a = 1\na = 2",
	"[[x]]\na = 1\n[[x]]\nb = 2", "[[a.b]]\nx = 1\n[[a.b]]\nx = 2",
	"[[fruit]]\nname = \"apple\"\n[fruit.physical]\ncolor = \"red\"\n[[fruit.variety]]\nname = \"red delicious\"",
	"a = [{b=1}]\n[[a]]\nc = 2", "[ a . b ]\nc = 1", `[a."b.c"]`, "[a]\nb = 1\n[a.b]",

	// inline tables
	`a = { b = 1, c = "x" }`, `a = {}`, `a = { b = { c = 1 } }`, `a = {b = 1,}`,
	"a = {\nb = 1}", "a = { b = [1,\n2] }", "a = {b = 1}\na.c = 2", `a = { b.c = 1, b.d = 2 }`,

	// dates and times
	`a = 1979-05-27`, `a = 07:32:00`, `a = 1979-05-27T07:32:00Z`, `a = 1979-05-27T07:32:00`,
	`a = 1979-05-27 07:32:00-08:00`, `a = 07:32`, `a = [1, 1979-05-27]`, "[t]\nd = 1979-05-27T00:32:00.999999-07:00",
	"a = 1979-05-27\nb = ", // a syntax error wins over a date

	// garbage
	`a`, `a =`, `= 1`, `[a`, `a = [1`, `ä = 1`, `a = tru`, `a = True`, `a b = 1`,
}
