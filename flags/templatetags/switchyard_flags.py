"""`{% flag %}` for templates of Django apps that read Switchyard's flags, as django-waffle's:

    {% load switchyard_flags %}
    {% flag "new-checkout" %}<a href="/checkout/v2/">Checkout</a>{% else %}<a href="/checkout/">Checkout</a>{% endflag %}

It asks flags.client.flag_is_active with the template's request (the `request` context
processor must be on), so a page and its view agree on a flag.
"""

from django import template

from flags.client import flag_is_active

register = template.Library()


class FlagNode(template.Node):
    def __init__(self, key, on_nodes, off_nodes):
        self.key, self.on_nodes, self.off_nodes = key, on_nodes, off_nodes

    def render(self, context):
        request = context.get("request")
        active = request is not None and flag_is_active(request, self.key.resolve(context))
        return (self.on_nodes if active else self.off_nodes).render(context)


@register.tag
def flag(parser, token):
    """{% flag "key" %}…{% else %}…{% endflag %}: the key may be a variable."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the flag key")
    on_nodes = parser.parse(("else", "endflag"))
    off_nodes = template.NodeList()
    if parser.next_token().contents == "else":
        off_nodes = parser.parse(("endflag",))
        parser.delete_first_token()
    return FlagNode(parser.compile_filter(bits[1]), on_nodes, off_nodes)
