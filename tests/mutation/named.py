"""The nine hand-made mutants that survived both ``verify`` and the whole suite in issue 16.

Each is a text replacement (``find`` occurs exactly once in ``module``) and the tests written
to kill it; ``python tests/mutation/mutate.py --named --out FILE`` applies each in a copy of the
repository, runs ``verify`` on ``claims`` at every depth of ``VERIFY_DEPTHS`` and the named
tests (all of them, not stopping at the first failure), and records which fail. The report
(docs/soundness.md) lists each with the tests that killed it.
"""

P = "residual_expansion/"
SOUND = "tests/test_soundness.py::"

NAMED = (
    {
        "name": "REX: the polynomial-instance route not folded into the verdict",
        "module": P + "claims/expansion_claims.py",
        "find": "    good, instances, degree = rex_instance_route(terms, depth, k_inst, seed, instances=instances)\n"
                "    ok &= good\n",
        "replace": "    good, instances, degree = rex_instance_route(terms, depth, k_inst, seed, instances=instances)\n",
        "claims": "REX",
        "tests": (SOUND + "test_rex_depth_12_fails_on_a_wrong_order_4_coefficient",
                  SOUND + "test_rex_folds_each_route_into_its_verdict[rex_instance_route]",
                  SOUND + "test_rex_instance_route_detects_a_wrong_order_4_coefficient_at_depth_12"),
    },
    {
        "name": "REX: the Taylor-ring route not folded into the verdict",
        "module": P + "claims/expansion_claims.py",
        "find": "    good, monomials = rex_ring_route(sym_terms, depth, k_sym)\n    ok &= good\n",
        "replace": "    good, monomials = rex_ring_route(sym_terms, depth, k_sym)\n",
        "claims": "REX",
        "tests": (SOUND + "test_rex_folds_each_route_into_its_verdict[rex_ring_route]",),
    },
    {
        "name": "crosscheck: `passed` without its coefficient comparison",
        "module": P + "numeric/crosscheck.py",
        "find": "    passed = comparison.passed and remainder_ok and",
        "replace": "    passed = remainder_ok and",
        "claims": "NUM-COEF,NUM-REMAINDER,NUM-LINEAR,NUM-PL",
        "tests": (SOUND + "test_crosscheck_passed_depends_on_the_coefficient_comparison",),
    },
    {
        "name": "float64 rounding bound gamma_L multiplied by 10^6",
        "module": P + "numeric/taylor.py",
        "find": "    return lu / (1.0 - lu)\n",
        "replace": "    return 1e6 * lu / (1.0 - lu)\n",
        "claims": "NUM-COEF,NUM-REMAINDER,NUM-LINEAR,NUM-PL",
        "tests": (SOUND + "test_num_linear_tolerance_is_a_rounding_bound[rel0]",
                  SOUND + "test_num_linear_tolerance_is_a_rounding_bound[rel1]",
                  SOUND + "test_num_pl_tolerance_is_a_rounding_bound[rel0]",
                  SOUND + "test_num_pl_tolerance_is_a_rounding_bound[rel1]"),
    },
    {
        "name": "`all_pass` of `verify --format json` forced to true",
        "module": P + "render/claim_output.py",
        "find": '"all_pass": all(r.status == "PASS" for r in results)',
        "replace": '"all_pass": True',
        "claims": "REX",
        "tests": (SOUND + "test_verify_json_all_pass_is_computed",
                  SOUND + "test_verify_exit_status_and_all_pass_follow_a_failing_claim"),
    },
    {
        "name": "res-3 energy prediction with s^4 changed to s^2",
        "module": P + "scaling/predictions.py",
        "find": "lam**2 * np.float64(s) ** 4))))",
        "replace": "lam**2 * np.float64(s) ** 2))))",
        "claims": "MARION-RES3",
        "tests": (SOUND + "test_res3_energy_prediction_at_weight_scale_not_one",),
    },
    {
        "name": "LaTeX coefficients inverted (\\tfrac{den}{num})",
        "module": P + "render/expansion_output.py",
        "find": r'return rf"\tfrac{{{c.numerator}}}{{{c.denominator}}}\, "',
        "replace": r'return rf"\tfrac{{{c.denominator}}}{{{c.numerator}}}\, "',
        "claims": "REX",
        "tests": (SOUND + "test_latex_coefficients_and_third_derivatives_exact",),
    },
    {
        "name": "third derivatives printed as g^(3) in LaTeX",
        "module": P + "render/expansion_output.py",
        "find": "    return \"'\" * m if m <= 3 else f\"^{{({m})}}\"\n",
        "replace": "    return \"'\" * m if m <= 2 else f\"^{{({m})}}\"\n",
        "claims": "REX",
        "tests": (SOUND + "test_latex_coefficients_and_third_derivatives_exact",),
    },
    {
        "name": "weight-tied table: a_n column without its sigma factor",
        "module": P + "render/expansion_output.py",
        "find": "        a_n = t.coefficient * tau.sigma()\n",
        "replace": "        a_n = t.coefficient\n",
        "claims": "TIED",
        "tests": (SOUND + "test_tied_table_a_n_column_carries_sigma",),
    },
)
