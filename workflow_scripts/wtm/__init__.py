"""The winner-take-most study: pattern data, MLP, Layca training, cube extraction."""
