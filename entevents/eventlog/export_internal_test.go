package eventlog

// MaxLiteral is maxLiteral, for the tests of package eventlog_test.
const MaxLiteral = maxLiteral
