// Microsoft JDBC Driver for SQL Server (com.microsoft.sqlserver:mssql-jdbc) against the TDS test server.
// Usage: java -cp classes:lib/* JdbcJudge CONFIG.json (written by tests/judges/judge.py). Prints one JSON line
// per scenario; judge.py compares the observations with what SQL Server documents. No JSON library: the config
// is read with a few regular expressions and the output is written by hand.
import com.microsoft.sqlserver.jdbc.SQLServerException;
import com.microsoft.sqlserver.jdbc.SQLServerPreparedStatement;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.sql.*;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class JdbcJudge {
    static String cfg;
    static String host, cert, user, password, database, token, trustStore;
    static Map<String, Integer> ports = new HashMap<>();

    static String str(String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*\"((?:[^\"\\\\]++|\\\\.)*+)\"").matcher(cfg);
        return m.find() ? m.group(1).replace("\\\\", "\\").replace("\\\"", "\"") : null;
    }

    static String json(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Double) return v.toString();
        if (v instanceof Map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (sb.length() > 1) sb.append(",");
                sb.append(json(e.getKey().toString())).append(":").append(json(e.getValue()));
            }
            return sb.append("}").toString();
        }
        if (v instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : (List<?>) v) {
                if (sb.length() > 1) sb.append(",");
                sb.append(json(o));
            }
            return sb.append("]").toString();
        }
        String s = v.toString();
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append("\"").toString();
    }

    static void emit(String scenario, Object data, Throwable err) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", scenario);
        out.put("ok", err == null);
        if (err != null) out.put("error", err.getClass().getSimpleName() + ": " + err.getMessage());
        else out.put("data", data);
        System.out.println(json(out));
        System.out.flush();
    }

    static String url(int port, String encrypt, String db, String extra) {
        return "jdbc:sqlserver://" + host + ":" + port + ";databaseName=" + db + ";encrypt=" + encrypt
            + ";trustServerCertificate=false;hostNameInCertificate=localhost;sendTimeAsDatetime=false;trustStore=" + trustStore
            + ";trustStorePassword=changeit;trustStoreType=PKCS12;applicationName=jdbcjudge;loginTimeout=20;connectRetryCount=0"
            + extra;
    }

    static Connection connect(int port, String encrypt) throws SQLException {
        return DriverManager.getConnection(url(port, encrypt, database, ""), user, password);
    }

    static Map<String, Object> sessionInfo(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT CONNECTIONPROPERTY('tls_mode') AS m, SUSER_SNAME() AS u, "
                 + "CONNECTIONPROPERTY('auth_scheme') AS a, CONNECTIONPROPERTY('local_tcp_port') AS p")) {
            rs.next();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tls_mode", rs.getString(1));
            m.put("user", rs.getString(2));
            m.put("auth_scheme", rs.getString(3));
            m.put("port", rs.getInt(4));
            return m;
        }
    }

    interface Body { Object run() throws Exception; }

    static void scenario(String name, Body b) {
        try {
            emit(name, b.run(), null);
        } catch (Throwable e) {
            emit(name, null, e);
        }
    }

    static Object canonical(String type, ResultSet rs, int i) throws SQLException {
        switch (type) {
            case "time": case "datetime2": case "datetimeoffset": case "smalldatetime": {
                String s = rs.getString(i);  // the driver's own text keeps all 7 digits
                return s;
            }
            case "datetime": {
                Timestamp t = rs.getTimestamp(i);
                if (t == null) return null;
                return t.toLocalDateTime().toString().replace('T', ' ').replaceAll("^(\\S+ \\d\\d:\\d\\d)$", "$1:00")
                    .replaceAll("^(\\S+ \\d\\d:\\d\\d:\\d\\d)$", "$1.000").replaceAll("(\\.\\d{3})\\d*$", "$1")
                    .replaceAll("\\.(\\d)$", ".$100").replaceAll("\\.(\\d\\d)$", ".$10");
            }
            case "bigint": {
                String s = rs.getString(i);
                return s;
            }
            case "money": case "smallmoney": case "decimal": case "numeric": {
                BigDecimal d = rs.getBigDecimal(i);
                return d == null ? null : d.toPlainString();
            }
            case "uniqueidentifier": {
                String s = rs.getString(i);
                return s == null ? null : s.toUpperCase();
            }
            case "binary": case "varbinary": case "image": {
                byte[] b = rs.getBytes(i);
                if (b == null) return null;
                StringBuilder sb = new StringBuilder();
                for (byte x : b) sb.append(String.format("%02x", x));
                return Map.of("hex", sb.toString());
            }
            case "real": {
                Object o = rs.getObject(i);
                return o == null ? null : (Object) (double) ((Number) o).floatValue();
            }
            case "date": {
                Object o = rs.getObject(i);
                return o == null ? null : o.toString();
            }
            default: {
                Object o = rs.getObject(i);
                if (o instanceof Short || o instanceof Byte) return ((Number) o).intValue();
                if (o instanceof Clob) return ((Clob) o).getSubString(1, (int) ((Clob) o).length());
                if (o instanceof SQLXML) return ((SQLXML) o).getString();
                return o;
            }
        }
    }

    static Object typesDemo() throws Exception {
        Map<String, String> types = new HashMap<>();
        Matcher m = Pattern.compile("\"name\":\\s*\"(\\w+)\",\\s*\"type\":\\s*\"([\\w]+)").matcher(
            Files.readString(Path.of(System.getProperty("types_demo"))));
        while (m.find()) types.put(m.group(1), m.group(2));
        List<Object> rows = new ArrayList<>();
        try (Connection c = connect(ports.get("main"), "true"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM types_demo ORDER BY id")) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    String name = md.getColumnName(i);
                    row.put(name, canonical(types.getOrDefault(name, ""), rs, i));
                }
                rows.add(row);
            }
        }
        return Map.of("rows", rows);
    }

    static Object params() throws Exception {
        String[] kinds = {"int", "bigint", "float", "bit", "decimal", "nvarchar", "varchar", "nvarchar_max", "varbinary",
            "date", "time", "datetime2", "datetimeoffset", "datetime", "uniqueidentifier", "null"};
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < kinds.length; i++) sql.append(i == 0 ? "" : ", ").append("? AS v_").append(kinds[i]);
        try (Connection c = connect(ports.get("main"), "true");
             SQLServerPreparedStatement ps = (SQLServerPreparedStatement) c.prepareStatement(sql.toString())) {
            int i = 1;
            ps.setInt(i++, 123456789);
            ps.setLong(i++, 9007199254740993L);
            ps.setDouble(i++, 3.141592653589793);
            ps.setBoolean(i++, true);
            ps.setBigDecimal(i++, new BigDecimal("12345.6789"));
            ps.setNString(i++, "h\u00e9llo \uD83D\uDE00");
            ps.setString(i++, "cafe");
            ps.setNString(i++, "x".repeat(6000));
            ps.setBytes(i++, new byte[] {0, 1, (byte) 0xff});
            ps.setObject(i++, LocalDate.of(2024, 1, 15));
            ps.setObject(i++, LocalTime.of(13, 45, 30, 123456700));
            ps.setObject(i++, LocalDateTime.of(2024, 1, 15, 13, 45, 30, 123456700));
            ps.setObject(i++, OffsetDateTime.of(2024, 1, 15, 13, 45, 30, 123456700, ZoneOffset.ofHoursMinutes(-3, -30)));
            ps.setDateTime(i++, Timestamp.valueOf("2024-01-15 13:45:30.5"));
            ps.setUniqueIdentifier(i++, "6F9619FF-8B86-D011-B42D-00C04FC964FF");
            ps.setNull(i++, Types.INTEGER);
            Map<String, Object> echo = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                echo.put("int", rs.getInt(1) == 123456789);
                echo.put("bigint", rs.getLong(2) == 9007199254740993L);
                echo.put("float", rs.getDouble(3) == 3.141592653589793);
                echo.put("nvarchar", "h\u00e9llo \uD83D\uDE00".equals(rs.getString(6)));
                echo.put("varchar", "cafe".equals(rs.getString(7)));
                echo.put("nvarchar_max", "x".repeat(6000).equals(rs.getString(8)));
                rs.getObject(16);
                echo.put("null", rs.wasNull());
            }
            return Map.of("order", Arrays.asList(kinds), "echo", echo);
        }
    }

    static Object large() throws Exception {
        try (Connection c = connect(ports.get("main"), "true"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, label, amount FROM big_table")) {
            long n = 0, sum = 0;
            while (rs.next()) {
                n++;
                sum += rs.getLong(1);
                rs.getString(2);
                rs.getDouble(3);
            }
            return Map.of("rows", (int) n, "sum_id", sum);
        }
    }

    static Object cancel() throws Exception {
        try (Connection c = connect(ports.get("main"), "true"); Statement s = c.createStatement()) {
            Timer t = new Timer(true);
            t.schedule(new TimerTask() {
                public void run() {
                    try { s.cancel(); } catch (SQLException e) { /* reported through execute */ }
                }
            }, 1000);
            long t0 = System.nanoTime();
            String err = null;
            try {
                s.execute("WAITFOR DELAY '00:00:10'");
            } catch (SQLException e) {
                err = e.getMessage();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            boolean reusable;
            try (Statement s2 = c.createStatement(); ResultSet rs = s2.executeQuery("SELECT 1")) {
                reusable = rs.next() && rs.getInt(1) == 1;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cancelled", err != null && err.contains("canceled"));
            m.put("error", err);
            m.put("elapsed_ms", (int) ms);
            m.put("reusable", reusable);
            return m;
        }
    }

    static int count(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM Region")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static Object rollback() throws Exception {
        try (Connection c = connect(ports.get("main"), "true")) {
            int before = count(c);
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO Region (Region_Libelle) VALUES (?)")) {
                ps.setString(1, "jdbcjudge-rollback");
                ps.executeUpdate();
            }
            int inside = count(c);
            c.rollback();
            c.setAutoCommit(true);
            return Map.of("before", before, "inside", inside, "after", count(c));
        }
    }

    static void loginError(String name, int port, String pw, String db) {
        try (Connection c = DriverManager.getConnection(url(port, "true", db, ""), user, pw)) {
            emit(name, Map.of("message", "connected"), null);
        } catch (SQLServerException e) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("number", e.getErrorCode());
            m.put("message", e.getMessage());
            m.put("sqlstate", e.getSQLState());
            emit(name, m, null);
        } catch (SQLException e) {
            emit(name, Map.of("message", String.valueOf(e.getMessage())), null);
        }
    }

    static String makeTrustStore(String certPath, String dir) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (FileInputStream in = new FileInputStream(certPath)) {
            ks.setCertificateEntry("tds-test", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        String p = dir + "/jdbc-truststore.p12";
        try (FileOutputStream out = new FileOutputStream(p)) {
            ks.store(out, "changeit".toCharArray());
        }
        return p;
    }

    public static void main(String[] args) throws Exception {
        cfg = Files.readString(Path.of(args[0]));
        host = str("host");
        cert = str("cert");
        user = str("user");
        password = str("password");
        database = str("database");
        token = str("token");
        Matcher pm = Pattern.compile("\"(main|strict|routing|transient)\":\\s*(\\d+)").matcher(cfg);
        while (pm.find()) ports.put(pm.group(1), Integer.parseInt(pm.group(2)));
        trustStore = makeTrustStore(cert, str("tmp"));
        scenario("login_tls", () -> { try (Connection c = connect(ports.get("main"), "true")) { return sessionInfo(c); } });
        scenario("strict", () -> { try (Connection c = connect(ports.get("strict"), "strict")) { return sessionInfo(c); } });
        scenario("token", () -> {
            Properties p = new Properties();
            p.setProperty("accessToken", token);
            try (Connection c = DriverManager.getConnection(url(ports.get("main"), "true", database, ""), p)) {
                return sessionInfo(c);
            }
        });
        scenario("routing", () -> { try (Connection c = connect(ports.get("routing"), "true")) { return sessionInfo(c); } });
        scenario("types_demo", JdbcJudge::typesDemo);
        scenario("params", JdbcJudge::params);
        scenario("large", JdbcJudge::large);
        scenario("cancel", JdbcJudge::cancel);
        scenario("rollback", JdbcJudge::rollback);
        loginError("err_18456", ports.get("main"), "wrong-password", database);
        loginError("err_4060", ports.get("main"), password, "nosuchdb");
        loginError("err_40613", ports.get("transient"), password, database);
    }
}
