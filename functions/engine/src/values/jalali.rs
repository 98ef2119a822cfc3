//! Jalali (Solar Hijri, the Iranian civil calendar) <-> Gregorian conversion.
//!
//! This is the arithmetic algorithm of the widely used jalaali-js library (after Borkowski): leap
//! years follow the 33-year cycles between the break years below, which matches the astronomical
//! calendar Iran uses for all years of practical interest (the valid range is Jalali -61..3177).

use chrono::{Datelike, NaiveDate, TimeDelta};

/// Jalali years at which the 33-year leap cycle is re-anchored.
const BREAKS: [i32; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456,
    3178,
];

struct YearInfo {
    /// Years since the last leap year: 0 means this year is leap.
    leap: i32,
    /// Gregorian year in which this Jalali year begins.
    gy: i32,
    /// Day of March (20 or 21, rarely 22) on which Farvardin 1 falls.
    march: i32,
}

/// The truncating `/` and `%` below are deliberate: they mirror JavaScript's `~~(a / b)` in the
/// reference implementation, and the results must match it bit for bit.
fn year_info(jy: i32) -> Option<YearInfo> {
    if jy < BREAKS[0] || jy >= BREAKS[BREAKS.len() - 1] {
        return None;
    }
    let gy = jy + 621;
    let mut leap_j = -14;
    let mut jp = BREAKS[0];
    let mut jump = 0;
    for &jm in &BREAKS[1..] {
        jump = jm - jp;
        if jy < jm {
            break;
        }
        leap_j += jump / 33 * 8 + (jump % 33) / 4;
        jp = jm;
    }
    let mut n = jy - jp;
    leap_j += n / 33 * 8 + (n % 33 + 3) / 4;
    if jump % 33 == 4 && jump - n == 4 {
        leap_j += 1;
    }
    let leap_g = gy / 4 - (gy / 100 + 1) * 3 / 4 - 150;
    let march = 20 + leap_j - leap_g;
    if jump - n < 6 {
        n = n - jump + (jump + 4) / 33 * 33;
    }
    let mut leap = ((n + 1) % 33 - 1) % 4;
    if leap == -1 {
        leap = 4;
    }
    Some(YearInfo { leap, gy, march })
}

/// Whether Esfand of Jalali year `y` has 30 days. False outside the supported range.
pub fn is_leap_year(y: i32) -> bool {
    year_info(y).is_some_and(|info| info.leap == 0)
}

/// Days in month `m` (1..=12) of Jalali year `y`, or None for an invalid month or year.
pub fn month_length(y: i32, m: u32) -> Option<u32> {
    let info = year_info(y)?;
    match m {
        1..=6 => Some(31),
        7..=11 => Some(30),
        12 => Some(if info.leap == 0 { 30 } else { 29 }),
        _ => None,
    }
}

/// The Gregorian date of Jalali `y/m/d`, or None if that day does not exist.
pub fn jalali_to_gregorian(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    if d == 0 || d > month_length(y, m)? {
        return None;
    }
    let info = year_info(y)?;
    let nowruz = NaiveDate::from_ymd_opt(info.gy, 3, info.march as u32)?;
    let m = i64::from(m);
    let day_of_year = (m - 1) * 31 - (m / 7) * (m - 7) + i64::from(d) - 1;
    nowruz.checked_add_signed(TimeDelta::days(day_of_year))
}

/// The Jalali date of a Gregorian date, or None outside the supported range.
pub fn try_gregorian_to_jalali(date: NaiveDate) -> Option<(i32, u32, u32)> {
    let gy = date.year();
    let mut jy = gy - 621;
    let info = year_info(jy)?;
    let nowruz = NaiveDate::from_ymd_opt(gy, 3, info.march as u32)?;
    let mut k = (date - nowruz).num_days();
    if k >= 0 {
        if k <= 185 {
            return Some((jy, (1 + k / 31) as u32, (k % 31 + 1) as u32));
        }
        k -= 186;
    } else {
        // Before Nowruz: the date belongs to the previous Jalali year's second half.
        jy -= 1;
        k += 179;
        if info.leap == 1 {
            k += 1;
        }
    }
    Some((jy, (7 + k / 30) as u32, (k % 30 + 1) as u32))
}

/// The Jalali `(year, month, day)` of a Gregorian date.
///
/// Dates outside the algorithm's range (before 560 or after 3798 CE) yield `(0, 0, 0)`, which no
/// real date produces; use [`try_gregorian_to_jalali`] to handle that case explicitly.
pub fn gregorian_to_jalali(date: NaiveDate) -> (i32, u32, u32) {
    try_gregorian_to_jalali(date).unwrap_or((0, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn known_dates_both_ways() {
        let cases = [
            ((1402, 8, 13), g(2023, 11, 4)),
            ((1403, 1, 1), g(2024, 3, 20)),
            ((1402, 12, 29), g(2024, 3, 19)),
            ((1399, 12, 30), g(2021, 3, 20)),
            ((1400, 1, 1), g(2021, 3, 21)),
            ((1357, 11, 22), g(1979, 2, 11)),
            ((1348, 10, 11), g(1970, 1, 1)),
            ((1379, 10, 11), g(2000, 12, 31)),
            ((1403, 12, 30), g(2025, 3, 20)),
            ((1404, 1, 1), g(2025, 3, 21)),
        ];
        for ((y, m, d), greg) in cases {
            assert_eq!(jalali_to_gregorian(y, m, d), Some(greg), "{y}/{m}/{d}");
            assert_eq!(gregorian_to_jalali(greg), (y, m, d), "{greg}");
        }
    }

    #[test]
    fn leap_years() {
        for y in [1399, 1403, 1408, 1375] {
            assert!(is_leap_year(y), "{y}");
        }
        for y in [1400, 1401, 1402, 1404] {
            assert!(!is_leap_year(y), "{y}");
        }
    }

    #[test]
    fn rejects_invalid_days() {
        assert_eq!(jalali_to_gregorian(1402, 12, 30), None);
        assert_eq!(jalali_to_gregorian(1402, 7, 31), None);
        assert_eq!(jalali_to_gregorian(1402, 6, 32), None);
        assert_eq!(jalali_to_gregorian(1402, 13, 1), None);
        assert_eq!(jalali_to_gregorian(1402, 0, 1), None);
        assert_eq!(jalali_to_gregorian(1402, 1, 0), None);
        assert!(jalali_to_gregorian(1402, 6, 31).is_some());
        assert!(jalali_to_gregorian(1402, 11, 30).is_some());
    }

    #[test]
    fn month_lengths() {
        assert_eq!(month_length(1402, 1), Some(31));
        assert_eq!(month_length(1402, 6), Some(31));
        assert_eq!(month_length(1402, 7), Some(30));
        assert_eq!(month_length(1402, 11), Some(30));
        assert_eq!(month_length(1402, 12), Some(29));
        assert_eq!(month_length(1403, 12), Some(30));
        assert_eq!(month_length(1403, 13), None);
    }

    #[test]
    fn out_of_supported_range() {
        assert_eq!(jalali_to_gregorian(5000, 1, 1), None);
        assert_eq!(jalali_to_gregorian(-100, 1, 1), None);
        assert_eq!(try_gregorian_to_jalali(g(100, 1, 1)), None);
        assert_eq!(gregorian_to_jalali(g(9000, 1, 1)), (0, 0, 0));
    }

    #[test]
    fn round_trip_every_day_1950_to_2050() {
        let mut previous: Option<(i32, u32, u32)> = None;
        for day in g(1950, 1, 1).iter_days().take_while(|d| d.year() <= 2050) {
            let (y, m, d) = gregorian_to_jalali(day);
            assert_eq!(jalali_to_gregorian(y, m, d), Some(day), "{day} -> {y}/{m}/{d}");
            // Consecutive Gregorian days must be consecutive Jalali days.
            if let Some((py, pm, pd)) = previous {
                let next = if pd < month_length(py, pm).unwrap() {
                    (py, pm, pd + 1)
                } else if pm < 12 {
                    (py, pm + 1, 1)
                } else {
                    (py + 1, 1, 1)
                };
                assert_eq!((y, m, d), next, "{day}");
            }
            previous = Some((y, m, d));
        }
    }
}
