import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_data.py")
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = 'exploding_gradient'
WHAT = 'ReLU Elman RNN over 60-step sequences (regression), identity+0.25 recurrent init and no gradient clipping; twin clips grad norm at 1'

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, 32, nonlinearity="relu", batch_first=True)
        self.head = nn.Linear(32, 1)
        with torch.no_grad():
            self.rnn.weight_hh_l0.copy_(torch.eye(32) * 1.0 + 0.25 * torch.randn(32, 32) / 32 ** 0.5)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def build(twin=False):
    torch.manual_seed(0)
    data = D.sequences(n=1000, length=60, kind="reg")
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return dict(model=model, opt=opt, crit=nn.MSELoss(), data=data, epochs=10, bs=32, acc=None,
                clip=1.0 if twin else None)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
