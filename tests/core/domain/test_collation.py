from core.domain.collation import latvian_key


def test_subjects_sort_in_latvian_alphabetical_order() -> None:
    subjects = ["Ķīmija", "Sports", "Ģeogrāfija", "Angļu valoda", "Ētika", "Zīmēšana", "Čellis"]
    assert sorted(subjects, key=latvian_key) == [
        "Angļu valoda",
        "Čellis",
        "Ētika",
        "Ģeogrāfija",
        "Ķīmija",
        "Sports",
        "Zīmēšana",
    ]


def test_case_does_not_matter_and_shorter_prefix_comes_first() -> None:
    assert sorted(["ozols", "Ozola", "OZ"], key=latvian_key) == ["OZ", "Ozola", "ozols"]
    assert sorted(["Šmits", "Sīlis", "Saule"], key=latvian_key) == ["Saule", "Sīlis", "Šmits"]
