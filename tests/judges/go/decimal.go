package main

import "github.com/shopspring/decimal"

type decimalT = decimal.Decimal

// decimalParam: go-mssqldb sends a shopspring decimal through its driver.Valuer (as text).
func decimalParam(s string) any {
	return decimal.RequireFromString(s)
}
