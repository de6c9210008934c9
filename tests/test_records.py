"""`record` behaves as `dataclass(frozen=True)` / `dataclass()` for every feature posagent uses.

Each check defines the same class twice, once with dataclasses and once with `record`, and
compares what the two do.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.records import record


def both(frozen: bool = True) -> tuple[Any, Any]:
    """The same body decorated by dataclass and by record."""

    def body() -> type:
        class Reading:
            """A reading."""

            port: str
            rx: int
            tx: int = 0
            detail: str | None = None
            tags: list[str] = field(default_factory=list)
            facts: dict[str, Any] = field(default_factory=dict, compare=False)
            hidden: str = field(default="x", repr=False)
            kind: ClassVar[str] = "reading"

        return Reading

    if frozen:
        return dataclass(frozen=True)(body()), record(body())
    return dataclass(body()), record(frozen=False)(body())


@record
class Point:
    x: int
    y: int = 0


@record(frozen=False)
class Counter:
    hits: int = 0
    seen: list[str] = field(default_factory=list)


@pytest.mark.parametrize("frozen", [True, False])
def test_construction_repr_and_fields_match_dataclass(frozen: bool) -> None:
    dc, rec = both(frozen)
    for args, kwargs in [(("p", 1), {}), (("p",), {"rx": 2, "tx": 3, "detail": "d"})]:
        a, b = dc(*args, **kwargs), rec(*args, **kwargs)
        assert repr(a) == repr(b)
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert [f.name for f in dataclasses.fields(rec)] == [f.name for f in dataclasses.fields(dc)]
    assert rec.__match_args__ == dc.__match_args__
    assert dataclasses.is_dataclass(rec)
    assert rec.kind == "reading"


@pytest.mark.parametrize("frozen", [True, False])
def test_bad_arguments_fail_as_with_dataclass(frozen: bool) -> None:
    for cls in both(frozen):
        with pytest.raises(TypeError):
            cls()  # port and rx missing
        with pytest.raises(TypeError):
            cls("p", 1, nope=1)
        with pytest.raises(TypeError):
            cls("p", 1, rx=2)


def test_default_factory_gives_each_instance_its_own_value() -> None:
    _, rec = both()
    a, b = rec("p", 1), rec("p", 1)
    a.tags.append("t")
    assert b.tags == []


@given(
    st.tuples(st.text(max_size=3), st.integers(), st.integers()),
    st.tuples(st.text(max_size=3), st.integers(), st.integers()),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
def test_equality_and_hash_agree_with_dataclass(x: tuple, y: tuple, facts: dict) -> None:
    dc, rec = both()
    assert (dc(*x) == dc(*y)) == (rec(*x) == rec(*y))
    assert rec(*x, facts=facts) == rec(*x)  # compare=False
    if Point(*x[1:]) == Point(*y[1:]):
        assert hash(Point(*x[1:])) == hash(Point(*y[1:]))
    assert len({Point(*x[1:]), Point(*x[1:])}) == 1
    assert rec(*x) != dc(*x)  # another class: never equal, as dataclass


def test_mutable_record_is_unhashable_and_assignable() -> None:
    counter = Counter()
    counter.hits += 1
    counter.seen.append("a")
    assert counter == Counter(1, ["a"])
    with pytest.raises(TypeError):
        hash(counter)


def test_frozen_record_refuses_assignment_and_deletion() -> None:
    point = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del point.y  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        point.other = 1  # type: ignore[attr-defined]
    assert point == Point(1, 2)


def test_replace_copy_and_pickle() -> None:
    point = Point(1, 2)
    assert dataclasses.replace(point, y=5) == Point(1, 5)
    assert copy.copy(point) == point
    assert copy.deepcopy(point) == point
    assert pickle.loads(pickle.dumps(point)) == point


def test_init_is_compiled_on_first_instantiation() -> None:
    @record
    class Lazy:
        a: int

    deferred = Lazy.__init__
    assert Lazy(1).a == 1
    assert Lazy.__init__ is not deferred
    assert Lazy(2) == Lazy(2)


def test_post_init_and_init_false_fields() -> None:
    @record
    class Checked:
        a: int
        doubled: int = field(init=False, default=0)
        made: list[int] = field(init=False, default_factory=list)

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")
            object.__setattr__(self, "doubled", self.a * 2)

    assert Checked(2).doubled == 4
    assert Checked(2).made == []
    with pytest.raises(ValueError):
        Checked(-1)
    with pytest.raises(TypeError):
        Checked(1, 2)  # type: ignore[call-arg]


def test_subclass_adds_fields_after_its_base() -> None:
    @record
    class Base:
        a: int

    @record
    class Child(Base):
        b: int = 1

    assert Child(5).a == 5
    assert repr(Child(5, 2)) == (
        "test_subclass_adds_fields_after_its_base.<locals>.Child(a=5, b=2)"
    )
    assert Child(5) != Base(5)


def test_own_repr_and_eq_are_kept() -> None:
    @record
    class Custom:
        a: int

        def __repr__(self) -> str:
            return "custom"

    assert repr(Custom(1)) == "custom"


def test_definitions_dataclass_would_reject_are_rejected() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b'"):

        @record
        class Order:
            a: int = 0
            b: int

    with pytest.raises(TypeError, match="kw_only"):

        @record
        class KwOnly:
            a: int = field(kw_only=True)

    with pytest.raises(TypeError, match="InitVar"):

        @record
        class WithInitVar:
            a: dataclasses.InitVar[int]


def test_an_init_the_class_writes_is_kept() -> None:
    @record
    class Parsed:
        x: int

        def __init__(self, text: str) -> None:
            object.__setattr__(self, "x", int(text))

    assert Parsed("5").x == 5
    assert Parsed("5") != Parsed("7")


def test_frozen_and_mutable_records_do_not_inherit_from_each_other() -> None:
    @record
    class Frozen:
        a: int

    @record(frozen=False)
    class Mutable:
        a: int

    with pytest.raises(TypeError, match="mutable record Child cannot inherit from frozen Frozen"):

        @record(frozen=False)
        class Child(Frozen):
            b: int = 0

    with pytest.raises(TypeError, match="frozen record Other cannot inherit from mutable"):

        @record
        class Other(Mutable):
            b: int = 0


def test_one_field_compares_as_several_do() -> None:
    # Field values are compared as a tuple whatever their number (as dataclass did up to
    # Python 3.12), so the same NaN object equals itself in one field as in two.
    nan = float("nan")

    @record
    class One:
        value: float

    @record
    class Two:
        value: float
        other: int = 0

    assert (One(nan) == One(nan)) == (Two(nan) == Two(nan)) is True
    assert hash(One(1.5)) == hash(One(1.5))


def test_a_field_named_self_is_rejected() -> None:
    with pytest.raises(TypeError, match="field named 'self'"):

        @record
        class Selfish:
            self: int


def test_the_annotation_reader_dataclasses_is_given_matches_inspect() -> None:
    import inspect

    from drivers.records import _class_annotations

    class Plain:
        a: int
        b: str | None = None

    class Child(Plain):
        c: float

    class Bare:
        pass

    for cls in (Plain, Child, Bare, Point, Counter):
        assert _class_annotations(cls) == inspect.get_annotations(cls)
    assert _class_annotations(Plain, eval_str=True) == {"a": int, "b": str | None}
