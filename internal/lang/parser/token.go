package parser

// tokKind is a token of the Nix grammar. The order of the named kinds is
// Bison's symbol order in Nix 2.8's parser.y: "expecting" lists in syntax
// errors are printed in this order.
type tokKind uint8

const (
	tEOF tokKind = iota
	tInvalid
	tID
	tSTR
	tINDSTR
	tINT
	tFLOAT
	tPATH
	tHPATH
	tSPATH
	tPATHEND
	tURI
	tIF
	tTHEN
	tELSE
	tASSERT
	tWITH
	tLET
	tIN
	tREC
	tINHERIT
	tEQ
	tNEQ
	tAND
	tOR
	tIMPL
	tORKW
	tDOLLARCURLY
	tINDOPEN
	tINDCLOSE
	tELLIPSIS
	tLT
	tGT
	tLEQ
	tGEQ
	tUPDATE
	tPLUS
	tMINUS
	tMUL
	tDIV
	tCONCAT
	tQUESTION
	tCOLON
	tLBRACE
	tRBRACE
	tAT
	tSEMI
	tNOT
	tDOT
	tQUOTE
	tLPAREN
	tRPAREN
	tLBRACKET
	tRBRACKET
	tASSIGN
	tCOMMA
	tError // a lexical error; the token carries it
)

var tokNames = [...]string{
	tEOF:         "end of file",
	tInvalid:     "invalid token",
	tID:          "ID",
	tSTR:         "STR",
	tINDSTR:      "IND_STR",
	tINT:         "INT",
	tFLOAT:       "FLOAT",
	tPATH:        "PATH",
	tHPATH:       "HPATH",
	tSPATH:       "SPATH",
	tPATHEND:     "PATH_END",
	tURI:         "URI",
	tIF:          "IF",
	tTHEN:        "THEN",
	tELSE:        "ELSE",
	tASSERT:      "ASSERT",
	tWITH:        "WITH",
	tLET:         "LET",
	tIN:          "IN",
	tREC:         "REC",
	tINHERIT:     "INHERIT",
	tEQ:          "EQ",
	tNEQ:         "NEQ",
	tAND:         "AND",
	tOR:          "OR",
	tIMPL:        "IMPL",
	tORKW:        "OR_KW",
	tDOLLARCURLY: "DOLLAR_CURLY",
	tINDOPEN:     "IND_STRING_OPEN",
	tINDCLOSE:    "IND_STRING_CLOSE",
	tELLIPSIS:    "ELLIPSIS",
	tLT:          "'<'",
	tGT:          "'>'",
	tLEQ:         "LEQ",
	tGEQ:         "GEQ",
	tUPDATE:      "UPDATE",
	tPLUS:        "'+'",
	tMINUS:       "'-'",
	tMUL:         "'*'",
	tDIV:         "'/'",
	tCONCAT:      "CONCAT",
	tQUESTION:    "'?'",
	tCOLON:       "':'",
	tLBRACE:      "'{'",
	tRBRACE:      "'}'",
	tAT:          "'@'",
	tSEMI:        "';'",
	tNOT:         "'!'",
	tDOT:         "'.'",
	tQUOTE:       "'\"'",
	tLPAREN:      "'('",
	tRPAREN:      "')'",
	tLBRACKET:    "'['",
	tRBRACKET:    "']'",
	tASSIGN:      "'='",
	tCOMMA:       "','",
	tError:       "error",
}

func (k tokKind) String() string {
	if int(k) < len(tokNames) {
		return tokNames[k]
	}
	return "invalid token"
}

// charTokens maps the single characters the grammar knows to their token;
// any other character is Bison's "invalid token".
var charTokens = [256]tokKind{
	'<': tLT, '>': tGT, '+': tPLUS, '-': tMINUS, '*': tMUL, '/': tDIV,
	'?': tQUESTION, ':': tCOLON, '{': tLBRACE, '}': tRBRACE, '@': tAT,
	';': tSEMI, '!': tNOT, '.': tDOT, '"': tQUOTE, '(': tLPAREN,
	')': tRPAREN, '[': tLBRACKET, ']': tRBRACKET, '=': tASSIGN, ',': tCOMMA,
}

// token is one scanned token. Line and Col are where it starts (Bison's
// location, which for end of file is the start of the last text matched).
// It is kept small (32 bytes): the parser copies tokens through its
// lookahead ring.
type token struct {
	kind      tokKind
	indent    bool  // IND_STR that takes part in indentation stripping
	seq       int32 // order of the token in the input (set by the parser)
	line, col int32
	// text is the source text (ID, INT, FLOAT, PATH, HPATH, SPATH, URI),
	// the value (STR, IND_STR) or the message (tError). The values of
	// INT and FLOAT are converted again by the parser (the scanner only
	// checks that they convert).
	text string
}
