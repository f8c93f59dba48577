-- guard_policy.sql — false-alarm and detection rates of the guard's default
-- policy, computed exactly from the binomial distribution (make bench).
--
-- A window is bad when it has >= 100 requests, its error rate exceeds 5 %
-- and so does the one-sided 95 % Wilson lower bound; the guard rolls back
-- after 2 consecutive bad windows.  With independent windows the chance that
-- a given pair of windows trips it is P(bad)^2; per day of 1-minute windows
-- the expected number of rollbacks is about 1440 * P(bad)^2.  "naive" is the
-- same policy without the lower bound (error rate > 5 % is enough).
\pset footer off
CREATE FUNCTION pg_temp.binomial_pmf(n integer, p double precision)
RETURNS TABLE (k integer, pmf double precision)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	lp double precision := n * ln(1 - p);	-- log space: no underflow for large n
BEGIN
	FOR i IN 0 .. n LOOP
		k := i;
		pmf := CASE WHEN lp > -700 THEN exp(lp) ELSE 0 END;
		RETURN NEXT;
		IF i < n THEN
			lp := lp + ln(n - i) - ln(i + 1) + ln(p) - ln(1 - p);
		END IF;
	END LOOP;
END
$$;

WITH cases(true_rate, requests) AS (
	SELECT r, n FROM unnest(ARRAY[0.02, 0.08]) r, unnest(ARRAY[100, 200, 500, 1000, 10000]) n
), per_window AS (
	SELECT c.true_rate, c.requests,
		   sum(b.pmf) FILTER (WHERE b.k::float8 / c.requests > 0.05
							  AND release.error_rate_lower_bound(b.k, c.requests) > 0.05) AS p_bad,
		   sum(b.pmf) FILTER (WHERE b.k::float8 / c.requests > 0.05) AS p_bad_naive
	  FROM cases c CROSS JOIN LATERAL pg_temp.binomial_pmf(c.requests, c.true_rate) b
	 GROUP BY c.true_rate, c.requests
)
SELECT (100 * true_rate)::int || ' %' AS "true error rate",
	   requests AS "requests/window",
	   to_char(p_bad, '9.99EEEE') AS "P(bad window)",
	   CASE WHEN true_rate < 0.05
			THEN to_char(1440 * p_bad * p_bad, '9.99EEEE') || ' per day'
			ELSE round((100 * p_bad * p_bad)::numeric, 1) || ' % per 2 windows'
	   END AS "rollbacks (policy)",
	   CASE WHEN true_rate < 0.05
			THEN to_char(1440 * p_bad_naive * p_bad_naive, '9.99EEEE') || ' per day'
			ELSE round((100 * p_bad_naive * p_bad_naive)::numeric, 1) || ' % per 2 windows'
	   END AS "rollbacks (naive > 5 %)"
  FROM per_window
 ORDER BY true_rate, requests;
