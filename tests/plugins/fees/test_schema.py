from sqlalchemy import inspect


def test_the_bill_replacing_a_voided_one_is_found_through_an_index(db):
    # the bill page asks which bill replaces a voided one: without the index, a scan of every bill
    indexes = inspect(db.engine).get_indexes("fees_bill")
    assert any(ix["column_names"] == ["replaces_id"] for ix in indexes), indexes
