//! In-database tests of every analytics function, its NULL handling and each of its errors
//! (SQLSTATE, message naming the value, hint).

#[pgrx::pg_schema]
mod tests {
    use crate::testing::assert_error;
    use pgrx::prelude::*;

    fn one<T: pgrx::IntoDatum + pgrx::FromDatum>(sql: &str) -> Option<T> {
        Spi::get_one::<T>(sql).expect("query runs")
    }

    fn f64_of(sql: &str) -> f64 {
        one::<f64>(sql).expect("not NULL")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn sample_table() {
        // 5 promoters (9, 10), 3 passives (7, 8), 2 detractors (0, 6) and a NULL: NPS 30
        Spi::run(
            "create table t(score smallint, w double precision, g int);
             insert into t values (10,1,1),(10,1,1),(9,2,1),(9,2,2),(9,2,2),(8,1,2),(7,1,2),(7,1,1),(6,5,1),(0,5,2),(null,1,1)",
        )
        .unwrap();
    }

    #[pg_test]
    fn segment_default_and_custom_bands() {
        assert_eq!(one::<String>("select nps_segment(9)::text").unwrap(), "promoter");
        assert_eq!(one::<String>("select nps_segment(8::smallint)::text").unwrap(), "passive");
        assert_eq!(one::<String>("select nps_segment(6::bigint)::text").unwrap(), "detractor");
        assert_eq!(one::<String>("select nps_segment(8, 8, 5)::text").unwrap(), "promoter");
        assert_eq!(
            one::<String>("select nps_segment(5, promoter_min => 8, detractor_max => 5)::text").unwrap(),
            "detractor"
        );
        assert_eq!(one::<bool>("select nps_segment(null::int) is null"), Some(true));
        assert_eq!(
            one::<bool>("select nps_segment(0) < nps_segment(7) and nps_segment(7) < nps_segment(10)"),
            Some(true)
        );
    }

    #[pg_test]
    fn segment_errors() {
        assert_error("select nps_segment(11)", "22003", "NPS score 11 is out of range");
        assert_error("select nps_segment(-1::smallint)", "22003", "-1");
        assert_error("select nps_segment(99999999999::bigint)", "22003", "99999999999");
        assert_error(
            "select nps_segment(5, 6, 6)",
            "22023",
            "promoter_min 6 must be greater than detractor_max 6",
        );
        assert_error("select nps_segment(5, 11, 6)", "22023", "promoter_min 11");
    }

    #[pg_test]
    fn score_aggregate_matches_the_formula() {
        sample_table();
        assert!(close(f64_of("select nps_score(score) from t"), 30.0));
        assert!(close(f64_of("select nps_score(score::int) from t"), 30.0));
        assert!(close(f64_of("select nps_score(score::bigint) from t"), 30.0));
        // bands 8/5: promoters 6, detractors 1 (0), of 10
        assert!(close(f64_of("select nps_score(score, 8, 5) from t"), 50.0));
        let formula = f64_of(
            "select (100.0 * (count(*) filter (where score >= 9) - count(*) filter (where score <= 6)) / count(score))::float8 from t",
        );
        assert!(close(f64_of("select nps_score(score) from t"), formula));
    }

    #[pg_test]
    fn score_aggregate_nulls_and_empty_input() {
        sample_table();
        assert_eq!(one::<f64>("select nps_score(score) from t where false"), None);
        assert_eq!(one::<f64>("select nps_score(score) from t where score is null"), None);
        assert_eq!(one::<bool>("select nps_agg(score) is null from t where false"), Some(true));
        assert_eq!(one::<i64>("select nps_responses(nps_agg(score)) from t"), Some(10));
    }

    #[pg_test]
    fn score_aggregate_errors() {
        assert_error("select nps_score(x) from (values (5), (11)) v(x)", "22003", "NPS score 11");
        assert_error("select nps_score(x::smallint) from (values (-3)) v(x)", "22003", "-3");
        assert_error("select nps_agg(x) from (values (12::bigint)) v(x)", "22003", "12");
        assert_error("select nps_score(x, 5, 7) from (values (5)) v(x)", "22023", "promoter_min 5");
        assert_error(
            "select nps_score(x, case when x > 5 then 8 else 9 end, 6) from (values (1), (9)) v(x)",
            "22023",
            "changed within one aggregate",
        );
        assert_error("select nps_score(x, null, 6) from (values (1)) v(x)", "22004", "must not be NULL");
    }

    #[pg_test]
    fn summary_accessors() {
        sample_table();
        Spi::run("create table s as select nps_agg(score) s from t").unwrap();
        assert!(close(f64_of("select nps_score(s) from s"), 30.0));
        assert!(close(f64_of("select nps_score(s, 8, 5) from s"), 50.0));
        assert_eq!(one::<i64>("select nps_promoters(s) from s"), Some(5));
        assert_eq!(one::<i64>("select nps_passives(s) from s"), Some(3));
        assert_eq!(one::<i64>("select nps_detractors(s) from s"), Some(2));
        assert_eq!(one::<i64>("select nps_detractors(s, detractor_max => 5) from s"), Some(1));
        assert_eq!(
            one::<Vec<i64>>("select nps_histogram(s) from s"),
            Some(vec![1, 0, 0, 0, 0, 0, 1, 2, 1, 3, 2])
        );
        assert!(close(f64_of("select nps_mean(s) from s"), 75.0 / 10.0));
        assert!(close(f64_of("select nps_total_weight(s) from s"), 10.0));
        assert!(close(f64_of("select nps_effective_n(s) from s"), 10.0));
        // p = .5, d = .2, n = 10: se = 100 * sqrt(.61 / 10)
        assert!(close(f64_of("select nps_std_error(s) from s"), 100.0 * (0.061f64).sqrt()));
        assert!(close(f64_of("select nps_moe(s) from s"), 1.9599639845400536 * 100.0 * (0.061f64).sqrt()));
        let (lo, hi) = (
            f64_of("select (nps_ci(s, 0.95, 'wald')).low from s"),
            f64_of("select (nps_ci(s, 0.95, 'wald')).high from s"),
        );
        assert!(
            close(lo, 30.0 - 1.9599639845400536 * 100.0 * (0.061f64).sqrt())
                && close(hi, 100.0_f64.min(30.0 + 1.9599639845400536 * 100.0 * (0.061f64).sqrt()))
        );
        // adjusted Wald: n' = 13, p' = 5.75/13, d' = 2.75/13
        let (p, d, n): (f64, f64, f64) = (5.75 / 13.0, 2.75 / 13.0, 13.0);
        let half = 1.9599639845400536 * 100.0 * ((p + d - (p - d) * (p - d)) / n).sqrt();
        assert!(close(f64_of("select low from nps_ci((select s from s))"), 100.0 * (p - d) - half));
        assert!(close(f64_of("select high from nps_ci((select s from s))"), 100.0 * (p - d) + half));
    }

    #[pg_test]
    fn accessor_errors() {
        sample_table();
        Spi::run("create table s as select nps_agg(score) s from t").unwrap();
        assert_error("select nps_ci(s, 1.5) from s", "22023", "confidence level 1.5");
        assert_error("select nps_moe(s, 0) from s", "22023", "confidence level 0");
        assert_error("select nps_ci(s, 0.95, 'wilson') from s", "22023", "\"wilson\"");
        assert_error("select nps_score(s, 3, 4) from s", "22023", "promoter_min 3");
        assert_error("select nps_promoters(s, 9, 10) from s", "22023", "detractor_max 10");
    }

    #[pg_test]
    fn weighted_summary() {
        sample_table();
        Spi::run("create table s as select nps_agg(score, w) s from t").unwrap();
        // promoter weight 1+1+2+2+2 = 8, passive 3, detractor 10, total 21: NPS -200/21
        assert!(close(f64_of("select nps_score(s) from s"), -200.0 / 21.0));
        assert_eq!(one::<i64>("select nps_responses(s) from s"), Some(10));
        assert!(close(f64_of("select nps_total_weight(s) from s"), 21.0));
        // Kish: 21^2 / (1+1+4+4+4+1+1+1+25+25) = 441 / 67
        assert!(close(f64_of("select nps_effective_n(s) from s"), 441.0 / 67.0));
        assert_error("select nps_agg(x, -1) from (values (5)) v(x)", "22023", "NPS weight -1");
        assert_error("select nps_agg(x, 'NaN') from (values (5)) v(x)", "22023", "NaN");
        assert_error("select nps_agg(x, 'infinity') from (values (5)) v(x)", "22023", "inf");
        // NULL weight leaves the row out
        assert_eq!(
            one::<i64>("select nps_responses(nps_agg(x, w)) from (values (5, 1.0), (6, null)) v(x, w)"),
            Some(1)
        );
    }

    #[pg_test]
    fn rollup_equals_one_pass() {
        Spi::run(
            "create table big as select (i * 7919 % 11)::int score, i % 13 g, (i % 5 + 1)::float8 w from generate_series(1, 5000) i",
        )
        .unwrap();
        assert_eq!(
            one::<bool>(
                "select (select nps_rollup(s)::text from (select nps_agg(score) s from big group by g) q)
                      = (select nps_agg(score)::text from big)"
            ),
            Some(true)
        );
        assert_eq!(
            one::<bool>(
                "select (select nps_histogram(nps_rollup(s)) from (select nps_agg(score, w) s from big group by g) q)
                      = (select nps_histogram(nps_agg(score, w)) from big)"
            ),
            Some(true)
        );
        assert_eq!(one::<bool>("select nps_rollup(null::nps_summary) is null"), Some(true));
    }

    #[pg_test]
    fn compare_two_samples() {
        // a: 50/30/20 of 100; b: 80/60/60 of 200 (independently computed: z 2.0466, p 0.0407)
        Spi::run(
            "create table ab as
             select 'a' k, x from (select 10 x from generate_series(1,50) union all select 7 from generate_series(1,30) union all select 0 from generate_series(1,20)) a
             union all
             select 'b', x from (select 10 x from generate_series(1,80) union all select 7 from generate_series(1,60) union all select 0 from generate_series(1,60)) b",
        )
        .unwrap();
        let q = "select (nps_compare(nps_agg(x) filter (where k = 'a'), nps_agg(x) filter (where k = 'b'))).";
        assert!(close(f64_of(&format!("{q}difference from ab")), 20.0));
        assert!(close(f64_of(&format!("{q}z from ab")), 2.046578040386603));
        assert!(close(f64_of(&format!("{q}p_value from ab")), 0.040699532791497184));
    }

    #[pg_test]
    fn summary_text_and_binary_round_trip() {
        sample_table();
        let t = one::<String>("select nps_agg(score)::text from t").unwrap();
        assert_eq!(t, r#"{"counts":[1,0,0,0,0,0,1,2,1,3,2]}"#);
        assert_eq!(one::<bool>(&format!("select '{t}'::nps_summary::text = '{t}'")), Some(true));
        // binary send/receive through COPY (FORMAT binary), weighted and not
        Spi::run(
            "create table sums as select nps_agg(score) a, nps_agg(score, w) b from t;
             create table back (a nps_summary, b nps_summary);
             do $d$ declare f text := '/tmp/pg_nps_test_' || pg_backend_pid() || '.bin'; begin
               execute format('copy sums to %L with (format binary)', f);
               execute format('copy back from %L with (format binary)', f);
             end $d$",
        )
        .unwrap();
        assert_eq!(
            one::<bool>("select s.a::text = b.a::text and s.b::text = b.b::text from sums s, back b"),
            Some(true)
        );
    }

    #[pg_test]
    fn summary_input_errors() {
        assert_error("select '{\"counts\":[1,2]}'::nps_summary", "22P02", "2 entries");
        assert_error("select 'hello'::nps_summary", "22P02", "\"hello\"");
        assert_error(
            "select '{\"counts\":[0,0,0,0,0,0,0,0,0,0,0],\"x\":1}'::nps_summary",
            "22P02",
            "unknown field",
        );
    }

    #[pg_test]
    fn moving_window_matches_recomputation() {
        Spi::run("create table m as select i, (i * 5 % 11)::int score from generate_series(1, 200) i")
            .unwrap();
        assert_eq!(
            one::<bool>(
                "select bool_and(w is not distinct from r) from (
                   select nps_score(score) over (order by i rows between 9 preceding and current row) w,
                          (select nps_score(score) from m m2 where m2.i between m.i - 9 and m.i) r
                   from m) q"
            ),
            Some(true)
        );
    }
}
