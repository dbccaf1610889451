/* FreeTDS db-lib client for the decode-throughput comparison (bench/tds/compare_freetds.sh):
 * logs in, runs one query, binds every column to C variables (strings converted to UTF-8) and
 * reports rows, a checksum and the CPU time (user + sys) spent from sending the query to the last row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sybdb.h>
#include <sybfront.h>

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s host:port query\n", argv[0]);
    return 2;
  }
  if (dbinit() == FAIL) return 1;
  LOGINREC* login = dblogin();
  DBSETLUSER(login, "sa");
  DBSETLPWD(login, "Passw0rd!");
  DBSETLAPP(login, "bench-freetds");
  DBSETLDBNAME(login, "demo");
  DBSETLCHARSET(login, "UTF-8");
  dbsetlversion(login, DBVERSION_74);
  DBPROCESS* p = dbopen(login, argv[1]);
  if (!p) return 1;
  const double t0 = cpu_seconds();
  dbcmd(p, argv[2]);
  if (dbsqlexec(p) == FAIL) return 1;
  long long rows = 0, sum = 0, text = 0;
  RETCODE rc;
  while ((rc = dbresults(p)) != NO_MORE_RESULTS) {
    if (rc == FAIL) return 1;
    const int ncols = dbnumcols(p);
    DBINT ints[16];
    DBFLT8 flts[16];
    char strs[16][512];
    for (int c = 1; c <= ncols && c <= 16; ++c) {
      const int t = dbcoltype(p, c);
      if (t == SYBINT4 || t == SYBINT8 || t == SYBINTN || t == SYBINT2 || t == SYBINT1)
        dbbind(p, c, INTBIND, 0, (BYTE*)&ints[c - 1]);
      else if (t == SYBFLT8 || t == SYBFLTN || t == SYBREAL)
        dbbind(p, c, FLT8BIND, 0, (BYTE*)&flts[c - 1]);
      else
        dbbind(p, c, NTBSTRINGBIND, sizeof strs[0], (BYTE*)strs[c - 1]);
    }
    while (dbnextrow(p) != NO_MORE_ROWS) {
      ++rows;
      for (int c = 1; c <= ncols && c <= 16; ++c) {
        const int t = dbcoltype(p, c);
        if (t == SYBINT4 || t == SYBINT8 || t == SYBINTN || t == SYBINT2 || t == SYBINT1) sum += ints[c - 1];
        else if (t == SYBFLT8 || t == SYBFLTN || t == SYBREAL) sum += (long long)flts[c - 1];
        else text += (long long)strlen(strs[c - 1]);
      }
    }
  }
  const double t1 = cpu_seconds();
  printf("{\"client\":\"freetds-dblib\",\"rows\":%lld,\"checksum\":%lld,\"text_bytes\":%lld,\"cpu_s\":%.4f}\n", rows, sum,
         text, t1 - t0);
  dbclose(p);
  dbexit();
  return 0;
}
