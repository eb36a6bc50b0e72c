import pytest

from mgdm_audio.core.samplers.step_schedule import StepSchedule


def test_published_schedules():
    steps = StepSchedule("20 if k >= K - 30 or k % 10 == 0 else 3")
    assert [steps(k, 100) for k in (0, 1, 10, 69, 70, 96)] == [20, 3, 20, 3, 20, 20]
    lr = StepSchedule("0.01 if k <= 10 else 0.03")
    assert lr(10, 100) == 0.01 and lr(11, 100) == 0.03
    assert StepSchedule(0.005)(3, 20) == 0.005
    assert StepSchedule("2 if 0 < k < 5 and not k == 3 else -1")(3, 9) == -1


@pytest.mark.parametrize("expression", ["__import__('os')", "k.real", "[k]", "x + 1", "lambda: 1", "k +"])
def test_anything_but_arithmetic_in_k_and_K_is_refused(expression):
    with pytest.raises(ValueError, match="lr"):
        StepSchedule(expression, "lr")
