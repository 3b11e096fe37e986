"""The performance portal: a static, accessible site of every PI (``perfeval site``)."""
