"""政言 Zhengyan: parse Chinese government speeches, index them, answer questions with citations."""

__version__ = "0.1.0"
