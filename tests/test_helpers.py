"""The suite's own yardstick: ranking_differences must tell a near tie from a different answer."""

from types import SimpleNamespace as Hit

from tests.helpers import ranking_differences


def test_ranking_differences_allows_near_ties_and_refuses_other_answers():
    a = [Hit(id="x1", story="s1", score=0.40), Hit(id="y", story="s2", score=0.3395), Hit(id="z", story="s3", score=0.30)]
    member_swap = [a[0], Hit(id="y2", story="s2", score=0.3390), a[2]]  # the story's other member, a near tie
    assert not ranking_differences(a, member_swap, 5e-3)
    tie_swap = [a[0], Hit(id="z", story="s3", score=0.3394), Hit(id="y", story="s2", score=0.3393)]
    assert ranking_differences(a, tie_swap, 5e-3)  # s3 moved from 0.30 to 0.339: not noise
    other_story = [a[0], Hit(id="w", story="s4", score=0.3395), a[2]]  # a story the first ranking lacks, far above the cut
    assert ranking_differences(a, other_story, 5e-3)
    assert ranking_differences(a, a[:2], 5e-3) == ["3 hits against 2"]
    plain = [Hit(id="p", score=0.5), Hit(id="q", score=0.4999)]  # search hits without stories: ids compared
    assert not ranking_differences(plain, plain[::-1], 5e-3)


def test_ranking_differences_compares_stories_by_members_when_given():
    x = [Hit(id="m1", story="m1", score=0.5), Hit(id="n2", story="n1", score=0.4)]
    y = [Hit(id="m1", story="m2", score=0.5), Hit(id="n2", story="n2", score=0.4)]  # named after other members
    same = ({"m1": frozenset("ab"), "n1": frozenset("cd")}, {"m2": frozenset("ab"), "n2": frozenset("cd")})
    assert ranking_differences(x, y, 5e-3)  # by name they differ
    assert not ranking_differences(x, y, 5e-3, same)
    other = ({"m1": frozenset("ab"), "n1": frozenset("cd")}, {"m2": frozenset("ae"), "n2": frozenset("cd")})
    assert ranking_differences(x, y, 5e-3, other)  # the first story lost b and gained e: another answer
