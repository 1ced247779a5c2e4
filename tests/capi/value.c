/* C API: summaries, BG/NBD + Gamma-Gamma fits on CDNOW, predictions, errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crmkit.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

enum { MAX_ROWS = 3000 };
static double xs[MAX_ROWS], txs[MAX_ROWS], Ts[MAX_ROWS], ms[MAX_ROWS];

static size_t read_summary(const char* path) {
  FILE* f = fopen(path, "r");
  char line[256];
  size_t n = 0;
  if (!f) return 0;
  if (!fgets(line, sizeof line, f)) { fclose(f); return 0; } /* header */
  while (n < MAX_ROWS && fgets(line, sizeof line, f)) {
    int id;
    if (sscanf(line, "%d,%lf,%lf,%lf,%lf", &id, &xs[n], &txs[n], &Ts[n], &ms[n]) == 5) ++n;
  }
  fclose(f);
  return n;
}

int main(void) {
  crmkit_bgnbd bg;
  crmkit_gammagamma gg;
  crmkit_clv_options opt;
  double loglik = 0, clv = 0;
  size_t used = 0;
  size_t n = read_summary(CRMKIT_SOURCE_DIR "/data/cdnow/cdnow_customers_summary_with_transactions.csv");
  CHECK(n == 2357);

  CHECK(crmkit_value_bgnbd_fit(xs, txs, Ts, n, &bg, &loglik) == CRMKIT_OK);
  CHECK(NEAR(bg.r, 0.243, 0.0005) && NEAR(bg.alpha, 4.414, 0.0005));
  CHECK(NEAR(bg.a, 0.793, 0.0005) && NEAR(bg.b, 2.426, 0.0005));
  CHECK(NEAR(loglik, -9582.4, 0.1));
  CHECK(crmkit_value_gammagamma_fit(xs, ms, n, &gg, NULL, &used) == CRMKIT_OK);
  CHECK(used == 946);
  CHECK(NEAR(gg.p, 6.25, 0.01) && NEAR(gg.q, 3.74, 0.01) && NEAR(gg.v, 15.44, 0.01));

  {
    double x = 2, tx = 30.43, T = 38.86, m = 22.35, e = 0, pa = 0, sp = 0, cl = 0;
    CHECK(crmkit_clv_options_init(&opt) == CRMKIT_OK);
    CHECK(crmkit_value_predict(&bg, &gg, &x, &tx, &T, &m, 1, 39, &opt, &e, &pa, &sp, &cl) == CRMKIT_OK);
    CHECK(NEAR(e, 1.226, 0.0005));
    CHECK(NEAR(pa, 0.727, 0.0005));
    CHECK(sp > 22.35 && cl > 0);
    /* Outputs may be NULL individually. */
    CHECK(crmkit_value_predict(&bg, &gg, &x, &tx, &T, &m, 1, 39, NULL, NULL, &pa, NULL, NULL) == CRMKIT_OK);
    opt.period = 7;
    CHECK(crmkit_value_predict(&bg, &gg, &x, &tx, &T, &m, 1, 39, &opt, &e, NULL, NULL, NULL) == CRMKIT_EINVAL);
    CHECK(crmkit_value_predict(&bg, &gg, &x, &tx, &T, &m, 1, -3, NULL, &e, NULL, NULL, NULL) == CRMKIT_EINVAL);
    CHECK(crmkit_value_predict(&bg, &gg, NULL, &tx, &T, &m, 1, 39, NULL, &e, NULL, NULL, NULL) == CRMKIT_EINVAL);
    CHECK(crmkit_value_predict(&bg, &gg, NULL, NULL, NULL, NULL, 0, 39, NULL, NULL, NULL, NULL, NULL) == CRMKIT_OK);
  }

  {
    /* Two customers: A buys on days 0, 0 (same day), 14, 21; B only on day 21 = the calibration end. */
    uint32_t cust[] = {0, 0, 0, 0, 1, 1};
    int32_t day[] = {0, 0, 14, 21, 21, 30};
    double amount[] = {5, 5, 20, 40, 7, 9};
    double x[2], tx[2], T[2], m[2];
    uint8_t seen[2];
    CHECK(crmkit_value_summarize(cust, day, amount, 6, 2, 21, CRMKIT_PERIOD_WEEK, x, tx, T, m, seen) == CRMKIT_OK);
    CHECK(x[0] == 2 && NEAR(tx[0], 3, 1e-12) && NEAR(T[0], 3, 1e-12) && NEAR(m[0], 30, 1e-12));
    CHECK(seen[1] == 1 && x[1] == 0 && tx[1] == 0 && T[1] == 0);
    amount[2] = NAN;
    CHECK(crmkit_value_summarize(cust, day, amount, 6, 2, 21, CRMKIT_PERIOD_WEEK, x, tx, T, m, seen) == CRMKIT_EINVAL);
    amount[2] = 20;
    cust[3] = 9;
    CHECK(crmkit_value_summarize(cust, day, amount, 6, 2, 21, CRMKIT_PERIOD_WEEK, x, tx, T, m, seen) == CRMKIT_EINVAL);
    CHECK(crmkit_value_summarize(cust, day, amount, 6, 2, 21, 5, x, tx, T, m, seen) == CRMKIT_EINVAL);
  }

  CHECK(crmkit_value_simple_clv(100, 0.8, 0.1, 2, &clv) == CRMKIT_OK && NEAR(clv, 100 / 1.1 + 80 / 1.21, 1e-9));
  CHECK(crmkit_value_simple_clv(100, 1.5, 0.1, 2, &clv) == CRMKIT_EINVAL);
  CHECK(crmkit_value_bgnbd_fit(xs, txs, Ts, 0, &bg, NULL) == CRMKIT_EINVAL);
  CHECK(crmkit_value_bgnbd_fit(NULL, txs, Ts, 3, &bg, NULL) == CRMKIT_EINVAL);
  txs[5] = Ts[5] + 1;
  CHECK(crmkit_value_bgnbd_fit(xs, txs, Ts, n, &bg, NULL) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "5") != NULL);
  ms[0] = 0; /* customer 0 has x = 2: m = 0 is left out of the fit, not an error */
  CHECK(crmkit_value_gammagamma_fit(xs, ms, n, &gg, NULL, &used) == CRMKIT_OK && used == 945);
  ms[0] = -1; /* a negative mean spend is refused, naming the row */
  CHECK(crmkit_value_gammagamma_fit(xs, ms, n, &gg, NULL, NULL) == CRMKIT_EINVAL);
  CHECK(strstr(crmkit_last_error(), "row 0") != NULL);

  return report();
}
