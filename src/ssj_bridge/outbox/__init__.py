"""What the project owes the platforms: the queue, the relay, batch documents and what follows a
platform's answer.
"""
