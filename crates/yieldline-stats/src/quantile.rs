//! Order statistics for cycle times: numpy-compatible quantile and mean.

/// Quantile `q ∈ [0, 1]` of an ascending-sorted slice by linear interpolation
/// between order statistics — numpy's default `np.quantile(a, q)`
/// (`method="linear"`, R type 7): with `h = (n − 1)·q`, `i = ⌊h⌋`, `g = h − i`,
/// the result is `a[i] + g·(a[i+1] − a[i])` (computed as numpy's `_lerp` does,
/// from the nearer end, for the last bit of agreement).
///
/// Returns `None` if `sorted` is empty, contains `NaN`, is not sorted
/// ascending, or `q` is outside `[0, 1]` / `NaN`.
pub fn quantile_linear(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    if sorted.iter().any(|x| x.is_nan()) || sorted.windows(2).any(|w| w[0] > w[1]) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor();
    let g = h - lo;
    let i = lo as usize;
    let a = sorted[i];
    let Some(&b) = sorted.get(i + 1) else {
        return Some(a);
    };
    if g == 0.0 {
        return Some(a);
    }
    let d = b - a;
    Some(if g >= 0.5 {
        b - d * (1.0 - g)
    } else {
        a + d * g
    })
}

/// Arithmetic mean; `None` if `xs` is empty or holds a non-finite value.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() || xs.iter().any(|x| !x.is_finite()) {
        return None;
    }
    Some(xs.iter().sum::<f64>() / xs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_examples() {
        let a = [1.0, 2.0, 3.0, 4.0];
        // np.quantile([1,2,3,4], [0, .25, .5, .9, 1]) = [1, 1.75, 2.5, 3.7, 4]
        let expect = [(0.0, 1.0), (0.25, 1.75), (0.5, 2.5), (0.9, 3.7), (1.0, 4.0)];
        for (q, e) in expect {
            let got = quantile_linear(&a, q).expect("valid");
            assert!((got - e).abs() < 1e-12, "q={q}: {got} vs {e}");
        }
        assert_eq!(quantile_linear(&[7.5], 0.3), Some(7.5));
    }

    #[test]
    fn invalid_quantile_input_is_none() {
        assert_eq!(quantile_linear(&[], 0.5), None);
        assert_eq!(quantile_linear(&[1.0, 2.0], 1.1), None);
        assert_eq!(quantile_linear(&[1.0, 2.0], f64::NAN), None);
        assert_eq!(quantile_linear(&[2.0, 1.0], 0.5), None);
        assert_eq!(quantile_linear(&[1.0, f64::NAN], 0.5), None);
    }

    #[test]
    fn mean_values() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, f64::INFINITY]), None);
    }
}
