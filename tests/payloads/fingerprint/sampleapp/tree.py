class Node:
    def __init__(self, children: list["Node"]) -> None:
        self.children = children


def count_leaves(node: Node, budget: int) -> int:
    if budget == 0:
        raise RecursionError(f"tree deeper than allowed at node {id(node)}")
    if not node.children:
        return 1
    return sum(count_leaves(child, budget - 1) for child in node.children)


def chain(depth: int) -> Node:
    node = Node([])
    for _ in range(depth):
        node = Node([node])
    return node


def first_leaf(node: Node, budget: int) -> Node:
    # Direct recursion: consecutive identical frames in the stack.
    if budget == 0:
        raise RecursionError(f"no leaf within budget below node {id(node)}")
    if not node.children:
        return node
    return first_leaf(node.children[0], budget - 1)
