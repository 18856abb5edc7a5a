from nlu.normalize import fold_diacritics, lemma, normalize, to_simplified


def test_normalize_maps_traditional_width_and_case_and_keeps_offsets():
    text = "我的卡被盜刷了 ＨＫ＄５００"
    norm = normalize(text)
    assert norm.text == "我的卡被盗刷了 hk$500"
    start, end = norm.span(4, 6)
    assert text[start:end] == "盜刷"


def test_normalize_composes_decomposed_vietnamese():
    decomposed = "the\u0309"  # "thẻ" typed with a combining hook above
    norm = normalize(decomposed)
    assert norm.text == "thẻ"
    assert norm.span(0, 3) == (0, 4)


def test_fold_diacritics_handles_d_with_stroke():
    assert fold_diacritics("Tôi muốn khóa thẻ ở Đà Nẵng") == "Toi muon khoa the o Da Nang"


def test_lemma_expands_teen_code_and_folds():
    assert lemma("ko") == "khong"
    assert lemma("đc") == "duoc"
    assert lemma("khóa") == "khoa"
    assert lemma("card") == "card"


def test_to_simplified_is_character_level():
    assert to_simplified("掛失額度") == "挂失额度"
    assert len(to_simplified("帳單分期")) == 4
