"""`{% load access %}`: show a link only to the users its page lets in."""

from django import template

from everydoor.web import access

register = template.Library()
register.filter("may_review", access.may_review)
