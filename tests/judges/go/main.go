// gojudge: Microsoft's Go driver (github.com/microsoft/go-mssqldb) against the TDS test server.
// Usage: gojudge CONFIG.json (written by tests/judges/judge.py). Prints one JSON line per scenario;
// judge.py compares the observations with what SQL Server documents.
package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/golang-sql/civil"
	mssql "github.com/microsoft/go-mssqldb"
)

type config struct {
	Host     string            `json:"host"`
	Cert     string            `json:"cert"`
	User     string            `json:"user"`
	Password string            `json:"password"`
	Database string            `json:"database"`
	Token    string            `json:"token"`
	Ports    map[string]int    `json:"ports"`
	Params   map[string]any    `json:"params"`
}

var cfg config

func emit(scenario string, data any, err error) {
	out := map[string]any{"scenario": scenario, "ok": err == nil}
	if err != nil {
		out["error"] = err.Error()
	} else {
		out["data"] = data
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// dsn builds a sqlserver:// URL; encrypt is "true" or "strict"; the test CA is trusted via certificate=.
func dsn(port int, encrypt string, withLogin bool, db string, extra map[string]string) string {
	q := url.Values{}
	q.Set("database", db)
	q.Set("encrypt", encrypt)
	q.Set("certificate", cfg.Cert)
	if encrypt != "strict" {
		q.Set("hostNameInCertificate", "localhost")
	}
	q.Set("connection timeout", "20")
	q.Set("app name", "gojudge")
	if os.Getenv("GOJUDGE_LOG") != "" {
		q.Set("log", os.Getenv("GOJUDGE_LOG"))
	}
	for k, v := range extra {
		q.Set(k, v)
	}
	u := &url.URL{Scheme: "sqlserver", Host: fmt.Sprintf("%s:%d", cfg.Host, port), RawQuery: q.Encode()}
	if withLogin {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	}
	return u.String()
}

func open(port int, encrypt string) (*sql.DB, error) {
	return sql.Open("sqlserver", dsn(port, encrypt, true, cfg.Database, nil))
}

func sessionInfo(db *sql.DB) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mode, user, scheme string
	var port int64
	err := db.QueryRowContext(ctx, "SELECT CONNECTIONPROPERTY('tls_mode') AS m, SUSER_SNAME() AS u, "+
		"CONNECTIONPROPERTY('auth_scheme') AS a, CONNECTIONPROPERTY('local_tcp_port') AS p").Scan(&mode, &user, &scheme, &port)
	if err != nil {
		return nil, err
	}
	return map[string]any{"tls_mode": mode, "user": user, "auth_scheme": scheme, "port": port}, nil
}

func loginScenario(name string, port int, encrypt string) {
	db, err := open(port, encrypt)
	if err == nil {
		defer db.Close()
		var info map[string]any
		info, err = sessionInfo(db)
		emit(name, info, err)
		return
	}
	emit(name, nil, err)
}

func tokenScenario() {
	conn, err := mssql.NewAccessTokenConnector(dsn(cfg.Ports["main"], "true", false, cfg.Database, nil),
		func() (string, error) { return cfg.Token, nil })
	if err != nil {
		emit("token", nil, err)
		return
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	info, err := sessionInfo(db)
	emit("token", info, err)
}

// canonical converts a scanned value to the canonical JSON form of types_demo.json.
func canonical(typ string, v any) any {
	if v == nil {
		return nil
	}
	switch typ {
	case "BIGINT":
		return strconv.FormatInt(v.(int64), 10)
	case "DECIMAL", "MONEY", "SMALLMONEY":
		return string(v.([]byte))
	case "UNIQUEIDENTIFIER":
		var u mssql.UniqueIdentifier
		if err := u.Scan(v); err != nil {
			return "scan error: " + err.Error()
		}
		return strings.ToUpper(u.String())
	case "DATETIME", "SMALLDATETIME":
		t := v.(time.Time)
		if typ == "SMALLDATETIME" {
			return t.Format("2006-01-02 15:04:05")
		}
		return t.Format("2006-01-02 15:04:05.000")
	case "DATE":
		return v.(time.Time).Format("2006-01-02")
	case "TIME":
		return v.(time.Time).Format("15:04:05.0000000")
	case "DATETIME2":
		return v.(time.Time).Format("2006-01-02 15:04:05.0000000")
	case "DATETIMEOFFSET":
		return v.(time.Time).Format("2006-01-02 15:04:05.0000000 -07:00")
	case "BINARY", "VARBINARY", "IMAGE":
		return map[string]string{"hex": hex.EncodeToString(v.([]byte))}
	case "REAL":
		if f, ok := v.(float64); ok {
			return float64(float32(f))
		}
	case "FLOAT":
		if f, ok := v.(float64); ok && math.IsInf(f, 0) {
			return fmt.Sprint(f)
		}
	case "SQL_VARIANT":
		switch x := v.(type) {
		case int64:
			return x
		case []byte:
			return string(x)
		}
	}
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

func typesDemo() {
	db, err := open(cfg.Ports["main"], "true")
	if err != nil {
		emit("types_demo", nil, err)
		return
	}
	defer db.Close()
	rows, err := db.Query("SELECT * FROM types_demo ORDER BY id")
	if err != nil {
		emit("types_demo", nil, err)
		return
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	ctypes, _ := rows.ColumnTypes()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			emit("types_demo", nil, err)
			return
		}
		row := map[string]any{}
		for i, c := range cols {
			row[c] = canonical(ctypes[i].DatabaseTypeName(), vals[i])
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		emit("types_demo", nil, err)
		return
	}
	emit("types_demo", map[string]any{"rows": out}, nil)
}

func params() {
	db, err := open(cfg.Ports["main"], "true")
	if err != nil {
		emit("params", nil, err)
		return
	}
	defer db.Close()
	ts := time.Date(2024, 1, 15, 13, 45, 30, 123456700, time.FixedZone("", -(3*3600 + 30*60)))
	guid := mssql.UniqueIdentifier{}
	if err := guid.Scan("6F9619FF-8B86-D011-B42D-00C04FC964FF"); err != nil {
		emit("params", nil, err)
		return
	}
	// go-mssqldb chooses the TDS type from the Go type; money has no input type of its own.
	vals := []struct {
		kind string
		v    any
	}{
		{"int", int32(123456789)}, {"bigint", int64(9007199254740993)}, {"float", 3.141592653589793},
		{"bit", true}, {"decimal", mssql.Money[decimalT]{}}, {"nvarchar", "héllo 😀"}, {"varchar", mssql.VarChar("cafe")},
		{"nvarchar_max", mssql.NVarCharMax(strings.Repeat("x", 6000))}, {"varbinary", []byte{0, 1, 0xff}},
		{"date", civil.Date{Year: 2024, Month: 1, Day: 15}},
		{"time", civil.Time{Hour: 13, Minute: 45, Second: 30, Nanosecond: 123456700}},
		{"datetime2", civil.DateTime{Date: civil.Date{Year: 2024, Month: 1, Day: 15}, Time: civil.Time{Hour: 13, Minute: 45, Second: 30, Nanosecond: 123456700}}},
		{"datetimeoffset", mssql.DateTimeOffset(ts)},
		{"datetime", mssql.DateTime1(time.Date(2024, 1, 15, 13, 45, 30, 500000000, time.UTC))},
		{"uniqueidentifier", guid}, {"null", nil},
	}
	vals[4].v = decimalParam("12345.6789")
	var sel []string
	var args []any
	var order []string
	for _, p := range vals {
		sel = append(sel, "@p_"+p.kind+" AS v_"+p.kind)
		args = append(args, sql.Named("p_"+p.kind, p.v))
		order = append(order, p.kind)
	}
	rows, err := db.Query("SELECT "+strings.Join(sel, ", "), args...)
	if err != nil {
		emit("params", nil, err)
		return
	}
	defer rows.Close()
	echo := map[string]bool{}
	if rows.Next() {
		got := make([]any, len(vals))
		ptrs := make([]any, len(vals))
		for i := range got {
			ptrs[i] = &got[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			emit("params", nil, err)
			return
		}
		for i, p := range vals {
			switch p.kind {
			case "int", "bigint", "float", "nvarchar", "varchar", "nvarchar_max", "null":
				echo[p.kind] = fmt.Sprint(got[i]) == fmt.Sprint(normalizeSent(p.v))
			}
		}
	}
	emit("params", map[string]any{"order": order, "echo": echo}, rows.Err())
}

func normalizeSent(v any) any {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case mssql.VarChar:
		return string(x)
	case mssql.NVarCharMax:
		return string(x)
	}
	return v
}

func large() {
	db, err := open(cfg.Ports["main"], "true")
	if err != nil {
		emit("large", nil, err)
		return
	}
	defer db.Close()
	rows, err := db.Query("SELECT id, label, amount FROM big_table")
	if err != nil {
		emit("large", nil, err)
		return
	}
	defer rows.Close()
	n, sum := 0, int64(0)
	for rows.Next() {
		var id int64
		var label string
		var amount float64
		if err := rows.Scan(&id, &label, &amount); err != nil {
			emit("large", nil, err)
			return
		}
		n++
		sum += id
	}
	emit("large", map[string]any{"rows": n, "sum_id": sum}, rows.Err())
}

func cancelScenario() {
	db, err := open(cfg.Ports["main"], "true")
	if err != nil {
		emit("cancel", nil, err)
		return
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(context.Background())
	if err != nil {
		emit("cancel", nil, err)
		return
	}
	defer conn.Close()
	// An explicit cancel: go-mssqldb treats context.DeadlineExceeded as a net.Error and drops the
	// connection after a deadline, so a timeout would not show whether the session stays usable.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(time.Second, cancel)
	t0 := time.Now()
	_, err = conn.ExecContext(ctx, "WAITFOR DELAY '00:00:10'")
	elapsed := time.Since(t0).Milliseconds()
	cancelled := err != nil && errors.Is(err, context.Canceled)
	var one int
	err2 := conn.QueryRowContext(context.Background(), "SELECT 1").Scan(&one)
	emit("cancel", map[string]any{"cancelled": cancelled, "elapsed_ms": elapsed, "reusable": err2 == nil && one == 1, "reuse_error": fmt.Sprint(err2),
		"error": fmt.Sprint(err)}, nil)
}

func rollback() {
	db, err := open(cfg.Ports["main"], "true")
	if err != nil {
		emit("rollback", nil, err)
		return
	}
	defer db.Close()
	count := func(q interface {
		QueryRow(string, ...any) *sql.Row
	}) int {
		var n int
		if err := q.QueryRow("SELECT COUNT(*) FROM Region").Scan(&n); err != nil {
			return -1
		}
		return n
	}
	before := count(db)
	tx, err := db.Begin()
	if err != nil {
		emit("rollback", nil, err)
		return
	}
	if _, err := tx.Exec("INSERT INTO Region (Region_Libelle) VALUES (@name)", sql.Named("name", "gojudge-rollback")); err != nil {
		_ = tx.Rollback()
		emit("rollback", nil, err)
		return
	}
	inside := count(tx)
	if err := tx.Rollback(); err != nil {
		emit("rollback", nil, err)
		return
	}
	emit("rollback", map[string]any{"before": before, "inside": inside, "after": count(db)}, nil)
}

func loginError(name string, port int, user, password, db string) {
	u := &url.URL{Scheme: "sqlserver", Host: fmt.Sprintf("%s:%d", cfg.Host, port), User: url.UserPassword(user, password)}
	q := url.Values{}
	q.Set("database", db)
	q.Set("encrypt", "true")
	q.Set("certificate", cfg.Cert)
	q.Set("hostNameInCertificate", "localhost")
	u.RawQuery = q.Encode()
	d, err := sql.Open("sqlserver", u.String())
	if err != nil {
		emit(name, nil, err)
		return
	}
	defer d.Close()
	err = d.Ping()
	var me mssql.Error
	if errors.As(err, &me) {
		emit(name, map[string]any{"number": me.SQLErrorNumber(), "message": me.SQLErrorMessage(), "class": me.SQLErrorClass()}, nil)
		return
	}
	emit(name, map[string]any{"number": nil, "message": fmt.Sprint(err)}, nil)
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if os.Getenv("GOJUDGE_LOG") != "" {
		mssql.SetLogger(stderrLogger{})
	}
	if only := os.Getenv("GOJUDGE_ONLY"); only == "cancel" {
		cancelScenario()
		return
	}
	loginScenario("login_tls", cfg.Ports["main"], "true")
	loginScenario("strict", cfg.Ports["strict"], "strict")
	tokenScenario()
	loginScenario("routing", cfg.Ports["routing"], "true")
	typesDemo()
	params()
	large()
	cancelScenario()
	rollback()
	loginError("err_18456", cfg.Ports["main"], cfg.User, "wrong-password", cfg.Database)
	loginError("err_4060", cfg.Ports["main"], cfg.User, cfg.Password, "nosuchdb")
	loginError("err_40613", cfg.Ports["transient"], cfg.User, cfg.Password, cfg.Database)
}

type stderrLogger struct{}

func (stderrLogger) Printf(format string, v ...any) { fmt.Fprintf(os.Stderr, format+"\n", v...) }
func (stderrLogger) Println(v ...any)               { fmt.Fprintln(os.Stderr, v...) }
