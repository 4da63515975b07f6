<?php
header('Location: https://example.com/elsewhere?x=1');
